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
Option Explicit

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
