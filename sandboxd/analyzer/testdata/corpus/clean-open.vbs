Option Explicit
Dim sh, p, q
q = Chr(34)
p = Replace("C:\Reports\YEAR.txt", "YEAR", "2026")
p = StrReverse(StrReverse(p))
Set sh = CreateObject("WScript.Shell")
sh.Run "notepad.exe " & q & p & q, 1, False
