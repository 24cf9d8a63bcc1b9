package jsemu

// preludeJS runs before the sample in every runtime. It takes the native
// recorder out of the global scope, wraps eval and the Function
// constructor (also as reached through (function(){}).constructor) so
// every layer of code built at run time is recorded, caps the string
// builders that could allocate gigabytes in one step, and in the browser
// world defines a small fake window/document/navigator whose effects that
// matter (navigation, requests, blob downloads, timers) are recorded.
//
// Wrapping eval turns direct eval into indirect eval: code evaluated
// inside a function no longer sees that function's local variables.
// Droppers evaluate their layers at the top level or through an alias
// (itself indirect), so this is the price of seeing the layers.
const preludeJS = `(function (g) {
"use strict";
var N = g.` + nativeName + `;
delete g.` + nativeName + `;
var MAX = N.maxString;
var origEval = g.eval;
var origFunction = g.Function;
var defineHidden = function (o, k, v) {
	Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false });
};

defineHidden(g, "eval", function (code) {
	if (typeof code === "string" && !N.layer(code, "eval")) { return undefined; }
	return origEval(code);
});
var F = function Function() {
	var args = Array.prototype.slice.call(arguments);
	if (!N.layer(args.length ? String(args[args.length - 1]) : "", "Function")) { return function () {}; }
	return origFunction.apply(this, args);
};
F.prototype = origFunction.prototype;
defineHidden(origFunction.prototype, "constructor", F);
defineHidden(g, "Function", F);

function capped(proto, name, size) {
	var orig = proto[name];
	defineHidden(proto, name, function () {
		if (size(this, arguments) > MAX) { throw new RangeError("Invalid string length"); }
		return orig.apply(this, arguments);
	});
}
capped(String.prototype, "repeat", function (s, a) { return String(s).length * (Number(a[0]) || 0); });
capped(String.prototype, "padStart", function (s, a) { return Number(a[0]) || 0; });
capped(String.prototype, "padEnd", function (s, a) { return Number(a[0]) || 0; });
capped(Array.prototype, "join", function (arr, a) {
	var n = arr.length >>> 0;
	var sep = a.length && a[0] !== undefined ? String(a[0]).length : 1;
	return n > 1 ? (n - 1) * sep : 0;
});

// Native code that recurses on the Go stack without passing through a
// JavaScript call (which SetMaxCallStackSize counts) is given a bound.
var origParse = JSON.parse, origStringify = JSON.stringify, origFlat = Array.prototype.flat;
defineHidden(JSON, "parse", function parse(text, reviver) {
	if (N.deep(String(text))) { throw new SyntaxError("JSON nests too deeply"); }
	return origParse.apply(JSON, arguments);
});
function depthCheck(v, d, seen) {
	if (d > 1000) { throw new RangeError("Maximum nesting depth exceeded"); }
	if (v === null || typeof v !== "object" || seen.indexOf(v) >= 0) { return; }
	seen.push(v);
	var ks = Object.keys(v);
	for (var i = 0; i < ks.length; i++) { depthCheck(v[ks[i]], d + 1, seen); }
	seen.pop();
}
defineHidden(JSON, "stringify", function stringify(v) {
	depthCheck(v, 0, []);
	return origStringify.apply(JSON, arguments);
});
defineHidden(Array.prototype, "flat", function flat(depth) {
	var d = depth === undefined ? 1 : Number(depth);
	return origFlat.call(this, d > 256 ? 256 : d);
});

function timer(fn) {
	if (typeof fn === "string") { var code = fn; if (!N.layer(code, "timer")) { return 0; } fn = function () { origEval(code); }; }
	if (typeof fn === "function") { N.timer(fn); }
	return 1;
}

if (!N.browser) { return; }

// ---- browser world ---------------------------------------------------
var noop = function () {};
function Element(tag) {
	this.tagName = String(tag || "div").toUpperCase();
	this.nodeName = this.tagName;
	this.nodeType = 1;
	this.style = {};
	this.attributes = {};
	this.childNodes = [];
	this.children = this.childNodes;
	this._html = "";
	this.textContent = "";
	this.className = "";
	this.id = "";
	this.parentNode = null;
	var self = this;
	this.classList = {
		_c: [],
		add: function (c) { if (this._c.indexOf(c) < 0) { this._c.push(c); } },
		remove: function (c) { var i = this._c.indexOf(c); if (i >= 0) { this._c.splice(i, 1); } },
		contains: function (c) { return this._c.indexOf(c) >= 0; },
		toggle: function (c) { if (this.contains(c)) { this.remove(c); return false; } this.add(c); return true; }
	};
	this.dataset = {};
}
Element.prototype = {
	setAttribute: function (k, v) { this.attributes[k] = String(v); if (k === "href" || k === "download" || k === "src" || k === "id") { this[k] = String(v); } },
	getAttribute: function (k) { return Object.prototype.hasOwnProperty.call(this.attributes, k) ? this.attributes[k] : null; },
	removeAttribute: function (k) { delete this.attributes[k]; },
	hasAttribute: function (k) { return Object.prototype.hasOwnProperty.call(this.attributes, k); },
	appendChild: function (c) { if (c && typeof c === "object") { c.parentNode = this; this.childNodes.push(c); } return c; },
	insertBefore: function (c) { return this.appendChild(c); },
	removeChild: function (c) { var i = this.childNodes.indexOf(c); if (i >= 0) { this.childNodes.splice(i, 1); } return c; },
	replaceChild: function (n, o) { this.removeChild(o); return this.appendChild(n); },
	cloneNode: function (deep) {
		var c = new Element(this.tagName);
		for (var k in this.attributes) { c.setAttribute(k, this.attributes[k]); }
		c.checked = this.checked; c.value = this.value; c.defaultValue = this.defaultValue; c.type = this.type;
		if (deep) { for (var i = 0; i < this.childNodes.length; i++) { c.appendChild(this.childNodes[i].cloneNode(true)); } }
		return c;
	},
	addEventListener: function (t, fn) { if (t === "load" || t === "DOMContentLoaded") { timer(fn); } },
	removeEventListener: noop,
	dispatchEvent: function () { return true; },
	getElementsByTagName: function () { return []; },
	getElementsByClassName: function () { return []; },
	querySelector: function () { return null; },
	querySelectorAll: function () { return []; },
	getBoundingClientRect: function () { return { top: 0, left: 0, right: 0, bottom: 0, width: 0, height: 0 }; },
	focus: noop, blur: noop, remove: noop,
	submit: function () { N.navigate(this.action || "", "form submit"); },
	click: function () {
		if (this.tagName === "A") {
			var href = String(this.href || "");
			if (this.download !== undefined && this.download !== "" && href.indexOf("blob:") === 0 || href.indexOf("data:") === 0) {
				N.smuggle(String(this.download || "(unnamed)"));
			} else if (href) {
				N.navigate(href, "link click");
			}
		}
	},
	contains: function () { return false; }
};
// innerHTML makes one flat child per tag, enough for the feature tests
// libraries run at load; its text is kept for the static analyzers' sake
// only, never interpreted as script.
Object.defineProperty(Element.prototype, "innerHTML", {
	get: function () { return this._html; },
	set: function (h) {
		this._html = String(h);
		this.childNodes.length = 0;
		var re = /<([a-zA-Z][\w-]*)([^>]*)>([^<]*)/g, m, n = 0;
		while ((m = re.exec(this._html)) !== null && n++ < 256) {
			var c = new Element(m[1]);
			c.textContent = m[3]; c.defaultValue = m[3]; c.value = m[3];
			if (/\bchecked\b/i.test(m[2])) { c.checked = true; }
			this.appendChild(c);
		}
	}
});
Object.defineProperty(Element.prototype, "firstChild", { get: function () { return this.childNodes[0] || null; } });
Object.defineProperty(Element.prototype, "lastChild", { get: function () { return this.childNodes[this.childNodes.length - 1] || null; } });

var html = new Element("html"), head = new Element("head"), body = new Element("body");
html.appendChild(head); html.appendChild(body);
var document = {
	nodeType: 9,
	readyState: "complete",
	documentElement: html, head: head, body: body,
	title: "", cookie: "", referrer: "", domain: "localhost", URL: "about:blank",
	createElement: function (t) { return new Element(t); },
	createElementNS: function (ns, t) { return new Element(t); },
	createTextNode: function (t) { var e = new Element("#text"); e.nodeType = 3; e.textContent = String(t); return e; },
	createDocumentFragment: function () { return new Element("#fragment"); },
	createEvent: function () { return { initEvent: noop }; },
	getElementById: function (id) { var e = new Element("div"); e.id = String(id); return e; },
	getElementsByTagName: function (t) { t = String(t).toLowerCase(); return t === "head" ? [head] : t === "body" ? [body] : []; },
	getElementsByClassName: function () { return []; },
	getElementsByName: function () { return []; },
	querySelector: function () { return null; },
	querySelectorAll: function () { return []; },
	addEventListener: function (t, fn) { if (t === "DOMContentLoaded" || t === "readystatechange") { timer(fn); } },
	removeEventListener: noop,
	write: function (s) { N.echo(String(s)); },
	writeln: function (s) { N.echo(String(s)); },
	open: noop, close: noop,
	execCommand: function () { return false; }
};
document.implementation = {
	hasFeature: function () { return true; },
	createHTMLDocument: function () {
		var d = Object.create(document);
		d.documentElement = new Element("html"); d.head = new Element("head"); d.body = new Element("body");
		d.documentElement.appendChild(d.head); d.documentElement.appendChild(d.body);
		return d;
	}
};
html.ownerDocument = head.ownerDocument = body.ownerDocument = document;
var location = {
	href: "about:blank", protocol: "about:", host: "", hostname: "", port: "", pathname: "blank", search: "", hash: "", origin: "null",
	assign: function (u) { N.navigate(String(u), "location.assign"); },
	replace: function (u) { N.navigate(String(u), "location.replace"); },
	reload: noop, toString: function () { return "about:blank"; }
};
var storage = function () {
	var m = {};
	return {
		getItem: function (k) { return Object.prototype.hasOwnProperty.call(m, k) ? m[k] : null; },
		setItem: function (k, v) { m[k] = String(v); },
		removeItem: function (k) { delete m[k]; },
		clear: function () { m = {}; },
		key: function (i) { return Object.keys(m)[i] || null; }
	};
};
function XMLHttpRequest() { this.readyState = 0; this.status = 0; this.responseText = ""; this.response = null; }
XMLHttpRequest.prototype = {
	open: function (m, u) { this._u = String(u); this._m = String(m); this.readyState = 1; },
	setRequestHeader: noop, abort: noop, overrideMimeType: noop,
	getResponseHeader: function () { return null; }, getAllResponseHeaders: function () { return ""; },
	addEventListener: noop,
	send: function () { N.navigate(this._u, "XMLHttpRequest " + this._m); this.readyState = 4; this.status = 0;
		if (typeof this.onerror === "function") { timer(this.onerror.bind(this)); } }
};
function Blob(parts, opts) { this.size = 0; for (var i = 0; parts && i < parts.length; i++) { this.size += (parts[i] && parts[i].length) || 0; } this.type = (opts && opts.type) || ""; }
var blobs = 0;
var URL_ = g.URL || function URL(u) { this.href = String(u); };
URL_.createObjectURL = function () { blobs++; return "blob:null/" + blobs; };
URL_.revokeObjectURL = noop;
var navigator = {
	userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
	appName: "Netscape", appVersion: "5.0 (Windows NT 10.0; Win64; x64)", platform: "Win32", language: "en-US", languages: ["en-US"],
	cookieEnabled: true, onLine: true, plugins: [], mimeTypes: [], hardwareConcurrency: 4,
	msSaveOrOpenBlob: function (b, name) { N.smuggle(String(name || "(unnamed)")); return true; },
	msSaveBlob: function (b, name) { N.smuggle(String(name || "(unnamed)")); return true; },
	sendBeacon: function (u) { N.navigate(String(u), "sendBeacon"); return true; }
};
var win = {
	window: g, self: g, top: g, parent: g, frames: g,
	document: document, location: location, navigator: navigator,
	screen: { width: 1920, height: 1080, availWidth: 1920, availHeight: 1040, colorDepth: 24 },
	history: { length: 1, pushState: noop, replaceState: noop, back: noop },
	localStorage: storage(), sessionStorage: storage(),
	console: { log: noop, info: noop, warn: noop, error: noop, debug: noop },
	setTimeout: timer, setInterval: timer, setImmediate: timer, requestAnimationFrame: timer,
	clearTimeout: noop, clearInterval: noop, cancelAnimationFrame: noop,
	addEventListener: function (t, fn) { if (t === "load" || t === "DOMContentLoaded") { timer(fn); } },
	removeEventListener: noop,
	getComputedStyle: function () { return { getPropertyValue: function () { return ""; } }; },
	matchMedia: function () { return { matches: false, addListener: noop, removeListener: noop }; },
	alert: function (s) { N.echo(String(s)); }, confirm: function () { return true; }, prompt: function () { return ""; },
	open: function (u) { N.navigate(String(u), "window.open"); return null; },
	close: noop, focus: noop, blur: noop, scrollTo: noop, postMessage: noop,
	XMLHttpRequest: XMLHttpRequest, Blob: Blob, URL: URL_,
	fetch: function (u) { N.navigate(String(u && u.url || u), "fetch"); return Promise.reject(new TypeError("Failed to fetch")); },
	Element: Element, HTMLElement: Element, Node: Element,
	innerWidth: 1920, innerHeight: 1040, devicePixelRatio: 1,
	Image: function () { return new Element("img"); }
};
for (var k in win) { if (Object.prototype.hasOwnProperty.call(win, k)) { defineHidden(g, k, win[k]); } }
Object.defineProperty(g, "location", {
	get: function () { return location; },
	set: function (u) { N.navigate(String(u), "window.location"); },
	configurable: true
});
Object.defineProperty(location, "href", {
	get: function () { return "about:blank"; },
	set: function (u) { N.navigate(String(u), "location.href"); },
	enumerable: true
});
})(this);
`
