// An ordinary admin script: reads an environment variable, checks a file
// and prints a report. Uses WSH objects but launches nothing, fetches nothing.
var sh = new ActiveXObject("WScript.Shell");
var fso = new ActiveXObject("Scripting.FileSystemObject");
var user = sh.ExpandEnvironmentStrings("%USERNAME%");
var cfg = sh.ExpandEnvironmentStrings("%APPDATA%") + "\\tool\\settings.ini";
var lines = [];
lines.push("user: " + user);
lines.push("settings present: " + fso.FileExists(cfg));
WScript.Echo(lines.join("\n"));
