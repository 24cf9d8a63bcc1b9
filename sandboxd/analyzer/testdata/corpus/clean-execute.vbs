Dim cfg, k
cfg = "Timeout = " & Chr(51) & Chr(48)
Execute cfg
WScript.Echo "Timeout is " & Timeout
