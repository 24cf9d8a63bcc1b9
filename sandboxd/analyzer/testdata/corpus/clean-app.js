(function () {
  "use strict";
  function load(url, cb) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () { cb(JSON.parse(xhr.responseText)); };
    xhr.send();
  }
  load("/api/items", function (items) {
    var ul = document.getElementById("items");
    items.forEach(function (it) { var li = document.createElement("li"); li.textContent = it.name; ul.appendChild(li); });
  });
})();
