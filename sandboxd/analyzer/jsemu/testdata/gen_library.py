# Generates testdata/benign_library.js: a ~90 KB library in the style of
# jQuery/underscore (UMD wrapper, utilities, selector and DOM helpers,
# events, deferreds, templates, ajax), deterministic, no network at load.
import random
random.seed(7)
out = []
w = out.append
w("""/*!
 * Tessera UI Toolkit v3.4.1
 * (c) 2019-2024 The Tessera authors. Released under the MIT license.
 */
(function (root, factory) {
  "use strict";
  if (typeof define === "function" && define.amd) {
    define([], function () { return factory(root); });
  } else if (typeof module === "object" && module.exports) {
    module.exports = factory(root);
  } else {
    root.Tessera = root.T$ = factory(root);
  }
})(typeof self !== "undefined" ? self : this, function (root) {
  "use strict";

  var ArrayProto = Array.prototype, ObjProto = Object.prototype;
  var slice = ArrayProto.slice, hasOwn = ObjProto.hasOwnProperty, toStr = ObjProto.toString;
  var doc = root && root.document;
  var version = "3.4.1";

  function isFunction(v) { return typeof v === "function"; }
  function isObject(v) { var t = typeof v; return v != null && (t === "object" || t === "function"); }
  function isArrayLike(v) { return v != null && typeof v.length === "number" && v.length >= 0 && !isFunction(v); }
  function isString(v) { return typeof v === "string" || toStr.call(v) === "[object String]"; }
  function isNumber(v) { return typeof v === "number" && !isNaN(v); }
  function isPlainObject(v) {
    if (!v || toStr.call(v) !== "[object Object]") { return false; }
    var proto = Object.getPrototypeOf(v);
    return proto === null || proto === ObjProto;
  }

  function each(obj, fn, ctx) {
    var i, keys;
    if (isArrayLike(obj)) {
      for (i = 0; i < obj.length; i++) { if (fn.call(ctx, obj[i], i, obj) === false) { break; } }
    } else if (obj) {
      keys = Object.keys(obj);
      for (i = 0; i < keys.length; i++) { if (fn.call(ctx, obj[keys[i]], keys[i], obj) === false) { break; } }
    }
    return obj;
  }
  function map(obj, fn, ctx) { var r = []; each(obj, function (v, k) { r.push(fn.call(ctx, v, k, obj)); }); return r; }
  function filter(obj, fn, ctx) { var r = []; each(obj, function (v, k) { if (fn.call(ctx, v, k, obj)) { r.push(v); } }); return r; }
  function reduce(obj, fn, acc) { each(obj, function (v, k) { acc = fn(acc, v, k, obj); }); return acc; }
  function extend(deep, target) {
    var args = slice.call(arguments, 2);
    if (typeof deep !== "boolean") { args.unshift(target); target = deep; deep = false; }
    each(args, function (src) {
      if (!src) { return; }
      each(Object.keys(src), function (k) {
        var v = src[k];
        if (deep && isPlainObject(v)) { target[k] = extend(true, isPlainObject(target[k]) ? target[k] : {}, v); }
        else if (v !== undefined) { target[k] = v; }
      });
    });
    return target;
  }
  function debounce(fn, wait) {
    var t = null;
    return function () {
      var ctx = this, args = arguments;
      if (t !== null && root.clearTimeout) { root.clearTimeout(t); }
      t = root.setTimeout ? root.setTimeout(function () { t = null; fn.apply(ctx, args); }, wait) : fn.apply(ctx, args);
    };
  }
  function throttle(fn, wait) {
    var last = 0;
    return function () {
      var now = Date.now();
      if (now - last >= wait) { last = now; return fn.apply(this, arguments); }
    };
  }
  function uniqueId(prefix) { uniqueId.n = (uniqueId.n || 0) + 1; return (prefix || "t") + uniqueId.n; }
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function camelCase(s) { return String(s).replace(/-([a-z])/g, function (m, c) { return c.toUpperCase(); }); }
  function kebabCase(s) { return String(s).replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase(); }
  function trim(s) { return s == null ? "" : String(s).replace(/^\\s+|\\s+$/g, ""); }
  function pad(n, w) { n = String(n); while (n.length < w) { n = "0" + n; } return n; }
  function formatDate(d, fmt) {
    d = d instanceof Date ? d : new Date(d);
    return fmt.replace(/YYYY|MM|DD|hh|mm|ss/g, function (t) {
      switch (t) {
        case "YYYY": return String(d.getFullYear());
        case "MM": return pad(d.getMonth() + 1, 2);
        case "DD": return pad(d.getDate(), 2);
        case "hh": return pad(d.getHours(), 2);
        case "mm": return pad(d.getMinutes(), 2);
        default: return pad(d.getSeconds(), 2);
      }
    });
  }

  // ---- Events -----------------------------------------------------------
  function Emitter() { this._handlers = {}; }
  Emitter.prototype.on = function (name, fn) { (this._handlers[name] = this._handlers[name] || []).push(fn); return this; };
  Emitter.prototype.off = function (name, fn) {
    var list = this._handlers[name];
    if (!list) { return this; }
    this._handlers[name] = fn ? filter(list, function (h) { return h !== fn; }) : [];
    return this;
  };
  Emitter.prototype.once = function (name, fn) {
    var self = this;
    function w() { self.off(name, w); return fn.apply(this, arguments); }
    return this.on(name, w);
  };
  Emitter.prototype.emit = function (name) {
    var args = slice.call(arguments, 1), list = (this._handlers[name] || []).slice();
    for (var i = 0; i < list.length; i++) { list[i].apply(this, args); }
    return this;
  };

  // ---- Deferred ---------------------------------------------------------
  function Deferred() {
    var state = "pending", value, callbacks = [];
    var d = {
      state: function () { return state; },
      resolve: function (v) { if (state === "pending") { state = "resolved"; value = v; flush(); } return d; },
      reject: function (v) { if (state === "pending") { state = "rejected"; value = v; flush(); } return d; },
      then: function (ok, fail) {
        var next = Deferred();
        callbacks.push(function () {
          var fn = state === "resolved" ? ok : fail;
          if (!isFunction(fn)) { next[state === "resolved" ? "resolve" : "reject"](value); return; }
          try { next.resolve(fn(value)); } catch (e) { next.reject(e); }
        });
        if (state !== "pending") { flush(); }
        return next;
      },
      done: function (fn) { return d.then(fn); },
      fail: function (fn) { return d.then(null, fn); }
    };
    function flush() { while (callbacks.length) { callbacks.shift()(); } }
    return d;
  }
  function when() {
    var items = slice.call(arguments), out = Deferred(), left = items.length, values = [];
    if (!left) { return out.resolve([]); }
    each(items, function (it, i) {
      it.then(function (v) { values[i] = v; if (--left === 0) { out.resolve(values); } }, out.reject);
    });
    return out;
  }

  // ---- Templates (compiled with new Function, as underscore does) --------
  var tplCache = {};
  function template(src) {
    if (tplCache[src]) { return tplCache[src]; }
    var code = "var __p=[];with(obj||{}){__p.push('" +
      src.replace(/\\\\/g, "\\\\\\\\").replace(/'/g, "\\\\'")
        .replace(/<%=([\\s\\S]+?)%>/g, "',$1,'")
        .replace(/<%([\\s\\S]+?)%>/g, "');$1;__p.push('")
        .replace(/\\r?\\n/g, "\\\\n") +
      "');}return __p.join('');";
    return (tplCache[src] = new Function("obj", code));
  }

  // ---- Selector and DOM ---------------------------------------------------
  function Collection(nodes) {
    var self = this;
    this.length = 0;
    each(nodes || [], function (n) { self[self.length++] = n; });
  }
  Collection.prototype = {
    each: function (fn) { each(this, function (n, i) { return fn.call(n, i, n); }); return this; },
    map: function (fn) { return map(this, function (n, i) { return fn.call(n, i, n); }); },
    first: function () { return new Collection(this.length ? [this[0]] : []); },
    addClass: function (c) { return this.each(function () { if (this.classList) { this.classList.add(c); } }); },
    removeClass: function (c) { return this.each(function () { if (this.classList) { this.classList.remove(c); } }); },
    toggleClass: function (c) { return this.each(function () { if (this.classList) { this.classList.toggle(c); } }); },
    attr: function (k, v) {
      if (v === undefined) { return this.length && this[0].getAttribute ? this[0].getAttribute(k) : undefined; }
      return this.each(function () { if (this.setAttribute) { this.setAttribute(k, v); } });
    },
    css: function (k, v) {
      if (isPlainObject(k)) { var self = this; each(k, function (vv, kk) { self.css(kk, vv); }); return this; }
      return this.each(function () { if (this.style) { this.style[camelCase(k)] = v; } });
    },
    html: function (h) {
      if (h === undefined) { return this.length ? this[0].innerHTML : ""; }
      return this.each(function () { this.innerHTML = h; });
    },
    text: function (t) {
      if (t === undefined) { return this.length ? this[0].textContent : ""; }
      return this.each(function () { this.textContent = t; });
    },
    append: function (child) {
      return this.each(function () { if (this.appendChild && child) { this.appendChild(child.nodeType ? child : child[0]); } });
    },
    on: function (type, fn) { return this.each(function () { if (this.addEventListener) { this.addEventListener(type, fn, false); } }); },
    off: function (type, fn) { return this.each(function () { if (this.removeEventListener) { this.removeEventListener(type, fn, false); } }); },
    show: function () { return this.css("display", ""); },
    hide: function () { return this.css("display", "none"); }
  };
  function $(sel, ctx) {
    if (!sel) { return new Collection([]); }
    if (isFunction(sel)) { ready(sel); return new Collection([]); }
    if (sel.nodeType || sel === root) { return new Collection([sel]); }
    if (isArrayLike(sel) && !isString(sel)) { return new Collection(sel); }
    if (!doc) { return new Collection([]); }
    if (/^\\s*</.test(sel)) {
      var holder = doc.createElement("div");
      holder.innerHTML = sel;
      return new Collection(holder.childNodes);
    }
    var scope = ctx && ctx.querySelectorAll ? ctx : doc;
    var m = /^#([\\w-]+)$/.exec(sel);
    if (m && scope === doc) { var el = doc.getElementById(m[1]); return new Collection(el ? [el] : []); }
    return new Collection(scope.querySelectorAll(sel) || []);
  }
  var readyList = [];
  function ready(fn) {
    if (!doc || doc.readyState === "complete" || doc.readyState === "interactive") { fn($); return; }
    readyList.push(fn);
  }
  if (doc && doc.addEventListener) {
    doc.addEventListener("DOMContentLoaded", function () { var l = readyList; readyList = []; each(l, function (fn) { fn($); }); }, false);
  }

  // ---- Ajax (only when called) --------------------------------------------
  function ajax(opts) {
    opts = extend({ method: "GET", headers: {}, timeout: 0 }, opts);
    var d = Deferred();
    if (!root.XMLHttpRequest) { return d.reject(new Error("no XMLHttpRequest")); }
    var xhr = new root.XMLHttpRequest();
    xhr.open(opts.method, opts.url, true);
    each(opts.headers, function (v, k) { xhr.setRequestHeader(k, v); });
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) { return; }
      if (xhr.status >= 200 && xhr.status < 300) { d.resolve(xhr.responseText); } else { d.reject(xhr); }
    };
    xhr.send(opts.data || null);
    return d;
  }

  // ---- Formatting and validation helpers ----------------------------------
""")
# Generated helper families, so that the file has the bulk and variety of a
# real toolkit.
units = ["px", "em", "rem", "%", "vh", "vw"]
names = ["width", "height", "margin", "padding", "border", "offset", "scroll", "gutter", "column", "row", "gap", "radius", "shadow", "outline", "indent"]
verbs = ["normalize", "clamp", "format", "parse", "measure", "scale", "round", "convert", "validate", "compute"]
helpers = []
i = 0
while sum(len(x) for x in out) < 84000:
    v = verbs[i % len(verbs)]; n = names[(i // len(verbs)) % len(names)]; k = i
    fname = "%s%s%d" % (v, n[0].upper() + n[1:], k)
    lo, hi = random.randint(0, 20), random.randint(40, 400)
    u = random.choice(units)
    body = random.choice([
        """    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : %d; }
    n = Math.min(%d, Math.max(%d, n));
    return options && options.unit === false ? n : n + "%s";""" % (lo, hi, lo, u),
        """    var parts = String(value == null ? "" : value).split(/[\\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > %d ? p.slice(0, %d) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");""" % (hi // 10 + 3, hi // 10 + 3),
        """    var cfg = extend({ precision: %d, prefix: "", suffix: "%s" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;""" % (random.randint(0, 4), u),
        """    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= %d && num <= %d) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });""" % (lo, hi),
        """    var key = "%s:" + String(value);
    if (hasOwn.call(cache%d, key)) { return cache%d[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache%d[key] = r.length > %d ? r.slice(0, %d) : r;
    return cache%d[key];""" % (n, k, k, k, hi, hi, k),
    ])
    if "cache%d" % k in body:
        w("  var cache%d = {};\n" % k)
    w("""  /**
   * %s %s values for the %s module (%s).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function %s(value, options) {
%s
  }
""" % (v.capitalize(), n, n, u, fname, body))
    helpers.append(fname)
    i += 1
w("""
  var helpers = {
""")
w(",\n".join("    %s: %s" % (h, h) for h in helpers))
w("""
  };

  var api = extend($, {
    version: version, each: each, map: map, filter: filter, reduce: reduce, extend: extend,
    debounce: debounce, throttle: throttle, uniqueId: uniqueId, escapeHTML: escapeHTML,
    camelCase: camelCase, kebabCase: kebabCase, trim: trim, formatDate: formatDate,
    Emitter: Emitter, Deferred: Deferred, when: when, template: template, ajax: ajax,
    ready: ready, isFunction: isFunction, isObject: isObject, isPlainObject: isPlainObject,
    helpers: helpers
  });

  // Self-test of the pure helpers at load, as some builds do in debug mode.
  var bus = new Emitter();
  var seen = 0;
  bus.on("tick", function (n) { seen += n; });
  for (var t = 0; t < 50; t++) { bus.emit("tick", t); }
  var greeting = template("<p>Hello <%= name %>, you have <%= n %> messages</p>")({ name: "Ada", n: seen });
  when(Deferred().resolve(1), Deferred().resolve(2)).then(function (v) { api.lastSelfTest = v.join(",") + greeting.length; });
  each(helpers, function (fn, name) { fn(name.length, { unit: false }); });
  api.lastFormatted = formatDate(new Date(2024, 0, 2, 3, 4, 5), "YYYY-MM-DD hh:mm:ss");
  return api;
});
""")
open("benign_library.js", "w").write("".join(out))
