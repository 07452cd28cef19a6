"""Developer tooling, kept out of the shipped package (XlsxWriter keeps its own in
``dev/``): the workbook build (:mod:`tools.build`, :mod:`tools.vba`), the LibreOffice
driver the tests and the screenshots use (:mod:`tools.libreoffice` and its UNO client
:mod:`tools.uno_client`), and the README's screenshot renderer (:mod:`tools.docs`).

Install what they need with ``pip install -e ".[build]"`` (the test extra includes it).
"""
