Set net = CreateObject("WScript.Network")
s = "\\files." & "example.org\" & "projects"
net.MapNetworkDrive "P:", s
Set sh = CreateObject("WScript.Shell")
sh.Run "explorer.exe P:\", 1
