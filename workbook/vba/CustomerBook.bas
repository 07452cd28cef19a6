Attribute VB_Name = "CustomerBook"
' CustomerBook: the macros behind the Dashboard buttons.
'
' Each button calls one Public Sub below. Each Sub runs ONE fixed Python entry
' point in the package xl_addin.macros through xlwings' RunPython (module
' "xlwings" in this same VBA project). No cell value or other text from the
' workbook is ever put into the Python command: the Python side opens the
' calling workbook itself through xlwings and reads what it needs. Each
' command carries the xlwings version of this VBA project (the xlwings module
' here: XLWINGS_VERSION), so that Python can say so when it runs another
' xlwings version; a test keeps the two the same.
'
'   CB_RefreshAll  xl_addin.macros.refresh_all()  recompute every derived sheet
'   CB_Classify    xl_addin.macros.classify()     classify the customers
'   CB_FollowUps   xl_addin.macros.follow_ups()   list the follow-ups due
'   CB_CallList    xl_addin.macros.call_list()    build the call list
'   CB_ImportOrders xl_addin.macros.import_orders() pick a shop export in
'                  Excel's Open dialog and append its orders (after OK)
'   CB_Smoke       no Python: writes CB_SMOKE_OK into cell Z1 of the first
'                  worksheet, so that a headless client (LibreOffice in the
'                  tests) can prove that the project loads and its macros run.
'   CB_ShowCard    no Python: opens the customer card (CustomerCard) on the
'                  customer of the active row of any sheet whose row 1 names
'                  a CustomerID column (call list, follow-ups, analysis ...).
'                  Double-clicking an ID or a name on the call list does the
'                  same (the call list's sheet module calls CB_OpenCard); run
'                  it from Alt+F8 or put it on the Quick Access Toolbar.
'
' The card is found by its marker (CB_CARD in its hidden helper column J), so
' it works under either language's sheet name; the formulas on the card do the
' rest, without Python.
Option Explicit

Private Const CARD_MARKER As String = "CB_CARD"
Private Const CARD_ID_CELL As String = "B2"

Public Sub CB_RefreshAll()
    RunPython "import xl_addin.macros as m; m.refresh_all(vba='0.37.8')"
End Sub

Public Sub CB_Classify()
    RunPython "import xl_addin.macros as m; m.classify(vba='0.37.8')"
End Sub

Public Sub CB_FollowUps()
    RunPython "import xl_addin.macros as m; m.follow_ups(vba='0.37.8')"
End Sub

Public Sub CB_CallList()
    RunPython "import xl_addin.macros as m; m.call_list(vba='0.37.8')"
End Sub

Public Sub CB_ImportOrders()
    RunPython "import xl_addin.macros as m; m.import_orders(vba='0.37.8')"
End Sub

Public Sub CB_Smoke()
    ThisWorkbook.Worksheets(1).Range("Z1").Value = "CB_SMOKE_OK"
End Sub

Public Sub CB_ShowCard()
    CB_OpenCard ActiveSheet, ActiveCell.Row
End Sub

' Show the customer of row atRow of sheet src on the card; True when it did.
Public Function CB_OpenCard(ByVal src As Object, ByVal atRow As Long) As Boolean
    Dim col As Long, found As Long, card As Object, ws As Object, header As String
    Dim zh As String, id As String
    CB_OpenCard = False
    If atRow < 2 Then Exit Function
    zh = ChrW(&H5BA2) & ChrW(&H6237) & ChrW(&H7F16) & ChrW(&H53F7)
    For col = 1 To 40
        header = Trim(CStr(src.Cells(1, col).Value))
        If LCase(Replace(header, " ", "")) = "customerid" Or header = zh Then
            found = col
            Exit For
        End If
    Next col
    If found = 0 Then Exit Function
    id = Trim(CStr(src.Cells(atRow, found).Value))
    If id = "" Then Exit Function
    For Each ws In ThisWorkbook.Worksheets
        If CStr(ws.Range("J1").Value) = CARD_MARKER Then
            Set card = ws
            Exit For
        End If
    Next ws
    If card Is Nothing Then Exit Function
    card.Range(CARD_ID_CELL).Value = id
    CB_OpenCard = True
    On Error Resume Next ' showing it needs a window (not there headless)
    card.Activate
    card.Range(CARD_ID_CELL).Select
    On Error GoTo 0
End Function
