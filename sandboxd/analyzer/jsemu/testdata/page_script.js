// A page script saved as a .js attachment: it expects a browser.
document.getElementById("menu").addEventListener("click", function (ev) {
  ev.preventDefault();
  window.location.hash = "#open";
});
