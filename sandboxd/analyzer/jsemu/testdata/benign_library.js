/*!
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
  function trim(s) { return s == null ? "" : String(s).replace(/^\s+|\s+$/g, ""); }
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
      src.replace(/\\/g, "\\\\").replace(/'/g, "\\'")
        .replace(/<%=([\s\S]+?)%>/g, "',$1,'")
        .replace(/<%([\s\S]+?)%>/g, "');$1;__p.push('")
        .replace(/\r?\n/g, "\\n") +
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
    if (/^\s*</.test(sel)) {
      var holder = doc.createElement("div");
      holder.innerHTML = sel;
      return new Collection(holder.childNodes);
    }
    var scope = ctx && ctx.querySelectorAll ? ctx : doc;
    var m = /^#([\w-]+)$/.exec(sel);
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
  /**
   * Normalize width values for the width module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeWidth0(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 10; }
    n = Math.min(117, Math.max(10, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Clamp width values for the width module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampWidth1(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 17; }
    n = Math.min(88, Math.max(17, n));
    return options && options.unit === false ? n : n + "rem";
  }
  /**
   * Format width values for the width module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatWidth2(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 16 && num <= 149) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache3 = {};
  /**
   * Parse width values for the width module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseWidth3(value, options) {
    var key = "width:" + String(value);
    if (hasOwn.call(cache3, key)) { return cache3[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache3[key] = r.length > 75 ? r.slice(0, 75) : r;
    return cache3[key];
  }
  /**
   * Measure width values for the width module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureWidth4(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 10 ? p.slice(0, 10) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache5 = {};
  /**
   * Scale width values for the width module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleWidth5(value, options) {
    var key = "width:" + String(value);
    if (hasOwn.call(cache5, key)) { return cache5[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache5[key] = r.length > 361 ? r.slice(0, 361) : r;
    return cache5[key];
  }
  /**
   * Round width values for the width module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundWidth6(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 18; }
    n = Math.min(243, Math.max(18, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Convert width values for the width module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertWidth7(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 13 ? p.slice(0, 13) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache8 = {};
  /**
   * Validate width values for the width module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateWidth8(value, options) {
    var key = "width:" + String(value);
    if (hasOwn.call(cache8, key)) { return cache8[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache8[key] = r.length > 100 ? r.slice(0, 100) : r;
    return cache8[key];
  }
  /**
   * Compute width values for the width module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeWidth9(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 12 ? p.slice(0, 12) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache10 = {};
  /**
   * Normalize height values for the height module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeHeight10(value, options) {
    var key = "height:" + String(value);
    if (hasOwn.call(cache10, key)) { return cache10[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache10[key] = r.length > 89 ? r.slice(0, 89) : r;
    return cache10[key];
  }
  var cache11 = {};
  /**
   * Clamp height values for the height module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampHeight11(value, options) {
    var key = "height:" + String(value);
    if (hasOwn.call(cache11, key)) { return cache11[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache11[key] = r.length > 356 ? r.slice(0, 356) : r;
    return cache11[key];
  }
  /**
   * Format height values for the height module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatHeight12(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 13 && num <= 200) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Parse height values for the height module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseHeight13(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 22 ? p.slice(0, 22) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Measure height values for the height module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureHeight14(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 2 && num <= 334) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Scale height values for the height module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleHeight15(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 10; }
    n = Math.min(269, Math.max(10, n));
    return options && options.unit === false ? n : n + "rem";
  }
  /**
   * Round height values for the height module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundHeight16(value, options) {
    var cfg = extend({ precision: 1, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Convert height values for the height module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertHeight17(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 4; }
    n = Math.min(290, Math.max(4, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Validate height values for the height module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateHeight18(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Compute height values for the height module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeHeight19(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 19; }
    n = Math.min(294, Math.max(19, n));
    return options && options.unit === false ? n : n + "vh";
  }
  /**
   * Normalize margin values for the margin module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeMargin20(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 2; }
    n = Math.min(178, Math.max(2, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Clamp margin values for the margin module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampMargin21(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "vh" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Format margin values for the margin module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatMargin22(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 12 && num <= 382) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Parse margin values for the margin module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseMargin23(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 11 && num <= 126) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Measure margin values for the margin module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureMargin24(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 18 ? p.slice(0, 18) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Scale margin values for the margin module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleMargin25(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 27 ? p.slice(0, 27) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Round margin values for the margin module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundMargin26(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 27 ? p.slice(0, 27) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Convert margin values for the margin module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertMargin27(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Validate margin values for the margin module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateMargin28(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 18 ? p.slice(0, 18) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Compute margin values for the margin module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeMargin29(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 4; }
    n = Math.min(158, Math.max(4, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Normalize padding values for the padding module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizePadding30(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Clamp padding values for the padding module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampPadding31(value, options) {
    var cfg = extend({ precision: 4, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache32 = {};
  /**
   * Format padding values for the padding module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatPadding32(value, options) {
    var key = "padding:" + String(value);
    if (hasOwn.call(cache32, key)) { return cache32[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache32[key] = r.length > 329 ? r.slice(0, 329) : r;
    return cache32[key];
  }
  /**
   * Parse padding values for the padding module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parsePadding33(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 19 && num <= 375) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Measure padding values for the padding module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measurePadding34(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 17 && num <= 240) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Scale padding values for the padding module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scalePadding35(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 3; }
    n = Math.min(286, Math.max(3, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Round padding values for the padding module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundPadding36(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 10 ? p.slice(0, 10) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Convert padding values for the padding module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertPadding37(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 3; }
    n = Math.min(214, Math.max(3, n));
    return options && options.unit === false ? n : n + "vh";
  }
  /**
   * Validate padding values for the padding module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validatePadding38(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 0; }
    n = Math.min(330, Math.max(0, n));
    return options && options.unit === false ? n : n + "em";
  }
  /**
   * Compute padding values for the padding module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computePadding39(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 38 ? p.slice(0, 38) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Normalize border values for the border module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeBorder40(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Clamp border values for the border module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampBorder41(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 19; }
    n = Math.min(226, Math.max(19, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Format border values for the border module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatBorder42(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Parse border values for the border module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseBorder43(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "px" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Measure border values for the border module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureBorder44(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 15; }
    n = Math.min(394, Math.max(15, n));
    return options && options.unit === false ? n : n + "em";
  }
  var cache45 = {};
  /**
   * Scale border values for the border module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleBorder45(value, options) {
    var key = "border:" + String(value);
    if (hasOwn.call(cache45, key)) { return cache45[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache45[key] = r.length > 310 ? r.slice(0, 310) : r;
    return cache45[key];
  }
  /**
   * Round border values for the border module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundBorder46(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Convert border values for the border module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertBorder47(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 25 ? p.slice(0, 25) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Validate border values for the border module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateBorder48(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 34 ? p.slice(0, 34) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Compute border values for the border module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeBorder49(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 16 ? p.slice(0, 16) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Normalize offset values for the offset module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeOffset50(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 6; }
    n = Math.min(305, Math.max(6, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Clamp offset values for the offset module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampOffset51(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 21 ? p.slice(0, 21) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Format offset values for the offset module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatOffset52(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Parse offset values for the offset module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseOffset53(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 2 && num <= 152) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache54 = {};
  /**
   * Measure offset values for the offset module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureOffset54(value, options) {
    var key = "offset:" + String(value);
    if (hasOwn.call(cache54, key)) { return cache54[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache54[key] = r.length > 212 ? r.slice(0, 212) : r;
    return cache54[key];
  }
  /**
   * Scale offset values for the offset module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleOffset55(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 19; }
    n = Math.min(40, Math.max(19, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Round offset values for the offset module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundOffset56(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 3 && num <= 238) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Convert offset values for the offset module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertOffset57(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 5; }
    n = Math.min(262, Math.max(5, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Validate offset values for the offset module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateOffset58(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 30 ? p.slice(0, 30) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache59 = {};
  /**
   * Compute offset values for the offset module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeOffset59(value, options) {
    var key = "offset:" + String(value);
    if (hasOwn.call(cache59, key)) { return cache59[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache59[key] = r.length > 105 ? r.slice(0, 105) : r;
    return cache59[key];
  }
  var cache60 = {};
  /**
   * Normalize scroll values for the scroll module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeScroll60(value, options) {
    var key = "scroll:" + String(value);
    if (hasOwn.call(cache60, key)) { return cache60[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache60[key] = r.length > 375 ? r.slice(0, 375) : r;
    return cache60[key];
  }
  var cache61 = {};
  /**
   * Clamp scroll values for the scroll module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampScroll61(value, options) {
    var key = "scroll:" + String(value);
    if (hasOwn.call(cache61, key)) { return cache61[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache61[key] = r.length > 376 ? r.slice(0, 376) : r;
    return cache61[key];
  }
  /**
   * Format scroll values for the scroll module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatScroll62(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 17; }
    n = Math.min(107, Math.max(17, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Parse scroll values for the scroll module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseScroll63(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 14 ? p.slice(0, 14) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache64 = {};
  /**
   * Measure scroll values for the scroll module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureScroll64(value, options) {
    var key = "scroll:" + String(value);
    if (hasOwn.call(cache64, key)) { return cache64[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache64[key] = r.length > 168 ? r.slice(0, 168) : r;
    return cache64[key];
  }
  var cache65 = {};
  /**
   * Scale scroll values for the scroll module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleScroll65(value, options) {
    var key = "scroll:" + String(value);
    if (hasOwn.call(cache65, key)) { return cache65[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache65[key] = r.length > 340 ? r.slice(0, 340) : r;
    return cache65[key];
  }
  /**
   * Round scroll values for the scroll module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundScroll66(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 13 && num <= 107) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Convert scroll values for the scroll module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertScroll67(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 33 ? p.slice(0, 33) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Validate scroll values for the scroll module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateScroll68(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 17; }
    n = Math.min(117, Math.max(17, n));
    return options && options.unit === false ? n : n + "vh";
  }
  /**
   * Compute scroll values for the scroll module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeScroll69(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 16 ? p.slice(0, 16) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Normalize gutter values for the gutter module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeGutter70(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 5; }
    n = Math.min(112, Math.max(5, n));
    return options && options.unit === false ? n : n + "%";
  }
  var cache71 = {};
  /**
   * Clamp gutter values for the gutter module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampGutter71(value, options) {
    var key = "gutter:" + String(value);
    if (hasOwn.call(cache71, key)) { return cache71[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache71[key] = r.length > 71 ? r.slice(0, 71) : r;
    return cache71[key];
  }
  /**
   * Format gutter values for the gutter module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatGutter72(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 17; }
    n = Math.min(287, Math.max(17, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Parse gutter values for the gutter module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseGutter73(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 7; }
    n = Math.min(137, Math.max(7, n));
    return options && options.unit === false ? n : n + "rem";
  }
  /**
   * Measure gutter values for the gutter module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureGutter74(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 16; }
    n = Math.min(271, Math.max(16, n));
    return options && options.unit === false ? n : n + "vh";
  }
  var cache75 = {};
  /**
   * Scale gutter values for the gutter module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleGutter75(value, options) {
    var key = "gutter:" + String(value);
    if (hasOwn.call(cache75, key)) { return cache75[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache75[key] = r.length > 206 ? r.slice(0, 206) : r;
    return cache75[key];
  }
  /**
   * Round gutter values for the gutter module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundGutter76(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 16 && num <= 142) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Convert gutter values for the gutter module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertGutter77(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 34 ? p.slice(0, 34) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Validate gutter values for the gutter module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateGutter78(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 16 && num <= 172) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Compute gutter values for the gutter module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeGutter79(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 4 && num <= 253) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Normalize column values for the column module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeColumn80(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 10 && num <= 77) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Clamp column values for the column module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampColumn81(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 2; }
    n = Math.min(148, Math.max(2, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Format column values for the column module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatColumn82(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 39 ? p.slice(0, 39) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Parse column values for the column module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseColumn83(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 8; }
    n = Math.min(110, Math.max(8, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Measure column values for the column module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureColumn84(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 31 ? p.slice(0, 31) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Scale column values for the column module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleColumn85(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 13 && num <= 303) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Round column values for the column module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundColumn86(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Convert column values for the column module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertColumn87(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 0 && num <= 213) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache88 = {};
  /**
   * Validate column values for the column module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateColumn88(value, options) {
    var key = "column:" + String(value);
    if (hasOwn.call(cache88, key)) { return cache88[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache88[key] = r.length > 236 ? r.slice(0, 236) : r;
    return cache88[key];
  }
  /**
   * Compute column values for the column module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeColumn89(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 33 ? p.slice(0, 33) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Normalize row values for the row module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeRow90(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 3; }
    n = Math.min(83, Math.max(3, n));
    return options && options.unit === false ? n : n + "rem";
  }
  /**
   * Clamp row values for the row module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampRow91(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache92 = {};
  /**
   * Format row values for the row module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatRow92(value, options) {
    var key = "row:" + String(value);
    if (hasOwn.call(cache92, key)) { return cache92[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache92[key] = r.length > 116 ? r.slice(0, 116) : r;
    return cache92[key];
  }
  /**
   * Parse row values for the row module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseRow93(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Measure row values for the row module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureRow94(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 1; }
    n = Math.min(392, Math.max(1, n));
    return options && options.unit === false ? n : n + "em";
  }
  /**
   * Scale row values for the row module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleRow95(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "vw" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Round row values for the row module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundRow96(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache97 = {};
  /**
   * Convert row values for the row module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertRow97(value, options) {
    var key = "row:" + String(value);
    if (hasOwn.call(cache97, key)) { return cache97[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache97[key] = r.length > 272 ? r.slice(0, 272) : r;
    return cache97[key];
  }
  /**
   * Validate row values for the row module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateRow98(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 13; }
    n = Math.min(177, Math.max(13, n));
    return options && options.unit === false ? n : n + "vh";
  }
  /**
   * Compute row values for the row module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeRow99(value, options) {
    var cfg = extend({ precision: 1, prefix: "", suffix: "px" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Normalize gap values for the gap module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeGap100(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache101 = {};
  /**
   * Clamp gap values for the gap module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampGap101(value, options) {
    var key = "gap:" + String(value);
    if (hasOwn.call(cache101, key)) { return cache101[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache101[key] = r.length > 145 ? r.slice(0, 145) : r;
    return cache101[key];
  }
  /**
   * Format gap values for the gap module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatGap102(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache103 = {};
  /**
   * Parse gap values for the gap module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseGap103(value, options) {
    var key = "gap:" + String(value);
    if (hasOwn.call(cache103, key)) { return cache103[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache103[key] = r.length > 47 ? r.slice(0, 47) : r;
    return cache103[key];
  }
  /**
   * Measure gap values for the gap module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureGap104(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 6 && num <= 303) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Scale gap values for the gap module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleGap105(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 3 && num <= 377) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Round gap values for the gap module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundGap106(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 27 ? p.slice(0, 27) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Convert gap values for the gap module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertGap107(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 7 && num <= 215) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Validate gap values for the gap module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateGap108(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 11; }
    n = Math.min(67, Math.max(11, n));
    return options && options.unit === false ? n : n + "em";
  }
  /**
   * Compute gap values for the gap module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeGap109(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 20; }
    n = Math.min(170, Math.max(20, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Normalize radius values for the radius module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeRadius110(value, options) {
    var cfg = extend({ precision: 4, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Clamp radius values for the radius module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampRadius111(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 19; }
    n = Math.min(164, Math.max(19, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Format radius values for the radius module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatRadius112(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 14 && num <= 134) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache113 = {};
  /**
   * Parse radius values for the radius module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseRadius113(value, options) {
    var key = "radius:" + String(value);
    if (hasOwn.call(cache113, key)) { return cache113[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache113[key] = r.length > 174 ? r.slice(0, 174) : r;
    return cache113[key];
  }
  /**
   * Measure radius values for the radius module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureRadius114(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 19 ? p.slice(0, 19) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Scale radius values for the radius module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleRadius115(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 11 && num <= 133) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Round radius values for the radius module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundRadius116(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 31 ? p.slice(0, 31) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Convert radius values for the radius module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertRadius117(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "px" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Validate radius values for the radius module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateRadius118(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 2; }
    n = Math.min(113, Math.max(2, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Compute radius values for the radius module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeRadius119(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 8 ? p.slice(0, 8) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache120 = {};
  /**
   * Normalize shadow values for the shadow module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeShadow120(value, options) {
    var key = "shadow:" + String(value);
    if (hasOwn.call(cache120, key)) { return cache120[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache120[key] = r.length > 339 ? r.slice(0, 339) : r;
    return cache120[key];
  }
  /**
   * Clamp shadow values for the shadow module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampShadow121(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 23 ? p.slice(0, 23) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Format shadow values for the shadow module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatShadow122(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 9; }
    n = Math.min(356, Math.max(9, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Parse shadow values for the shadow module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseShadow123(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 39 ? p.slice(0, 39) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  var cache124 = {};
  /**
   * Measure shadow values for the shadow module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureShadow124(value, options) {
    var key = "shadow:" + String(value);
    if (hasOwn.call(cache124, key)) { return cache124[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache124[key] = r.length > 298 ? r.slice(0, 298) : r;
    return cache124[key];
  }
  /**
   * Scale shadow values for the shadow module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleShadow125(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 20; }
    n = Math.min(157, Math.max(20, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Round shadow values for the shadow module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundShadow126(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 4 && num <= 366) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache127 = {};
  /**
   * Convert shadow values for the shadow module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertShadow127(value, options) {
    var key = "shadow:" + String(value);
    if (hasOwn.call(cache127, key)) { return cache127[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache127[key] = r.length > 325 ? r.slice(0, 325) : r;
    return cache127[key];
  }
  /**
   * Validate shadow values for the shadow module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateShadow128(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 7 && num <= 290) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache129 = {};
  /**
   * Compute shadow values for the shadow module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeShadow129(value, options) {
    var key = "shadow:" + String(value);
    if (hasOwn.call(cache129, key)) { return cache129[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache129[key] = r.length > 297 ? r.slice(0, 297) : r;
    return cache129[key];
  }
  /**
   * Normalize outline values for the outline module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeOutline130(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Clamp outline values for the outline module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampOutline131(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 7 && num <= 145) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Format outline values for the outline module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatOutline132(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 12; }
    n = Math.min(79, Math.max(12, n));
    return options && options.unit === false ? n : n + "%";
  }
  /**
   * Parse outline values for the outline module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseOutline133(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 19; }
    n = Math.min(363, Math.max(19, n));
    return options && options.unit === false ? n : n + "vw";
  }
  /**
   * Measure outline values for the outline module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureOutline134(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Scale outline values for the outline module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleOutline135(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 19 && num <= 330) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Round outline values for the outline module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundOutline136(value, options) {
    var parts = String(value == null ? "" : value).split(/[\s,]+/);
    var out = [];
    for (var j = 0; j < parts.length; j++) {
      var p = trim(parts[j]);
      if (p) { out.push(p.length > 31 ? p.slice(0, 31) : p); }
    }
    return out.join(options && options.sep ? options.sep : " ");
  }
  /**
   * Convert outline values for the outline module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertOutline137(value, options) {
    var cfg = extend({ precision: 4, prefix: "", suffix: "vw" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  var cache138 = {};
  /**
   * Validate outline values for the outline module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateOutline138(value, options) {
    var key = "outline:" + String(value);
    if (hasOwn.call(cache138, key)) { return cache138[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache138[key] = r.length > 278 ? r.slice(0, 278) : r;
    return cache138[key];
  }
  /**
   * Compute outline values for the outline module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeOutline139(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 6; }
    n = Math.min(199, Math.max(6, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Normalize indent values for the indent module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeIndent140(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 9 && num <= 274) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Clamp indent values for the indent module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampIndent141(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 8; }
    n = Math.min(238, Math.max(8, n));
    return options && options.unit === false ? n : n + "em";
  }
  /**
   * Format indent values for the indent module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatIndent142(value, options) {
    var cfg = extend({ precision: 4, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Parse indent values for the indent module (vh).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseIndent143(value, options) {
    var cfg = extend({ precision: 4, prefix: "", suffix: "vh" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Measure indent values for the indent module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureIndent144(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 3 && num <= 400) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Scale indent values for the indent module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleIndent145(value, options) {
    var n = typeof value === "number" ? value : parseFloat(value);
    if (isNaN(n)) { return options && options.fallback !== undefined ? options.fallback : 15; }
    n = Math.min(241, Math.max(15, n));
    return options && options.unit === false ? n : n + "px";
  }
  /**
   * Round indent values for the indent module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundIndent146(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "%" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Convert indent values for the indent module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertIndent147(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Validate indent values for the indent module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateIndent148(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "px" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Compute indent values for the indent module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeIndent149(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "em" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Normalize width values for the width module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function normalizeWidth150(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 8 && num <= 230) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Clamp width values for the width module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function clampWidth151(value, options) {
    var cfg = extend({ precision: 3, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Format width values for the width module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function formatWidth152(value, options) {
    var cfg = extend({ precision: 0, prefix: "", suffix: "px" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }
  /**
   * Parse width values for the width module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function parseWidth153(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 20 && num <= 116) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Measure width values for the width module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function measureWidth154(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 16 && num <= 201) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  var cache155 = {};
  /**
   * Scale width values for the width module (%).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function scaleWidth155(value, options) {
    var key = "width:" + String(value);
    if (hasOwn.call(cache155, key)) { return cache155[key]; }
    var r = String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    cache155[key] = r.length > 363 ? r.slice(0, 363) : r;
    return cache155[key];
  }
  /**
   * Round width values for the width module (px).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function roundWidth156(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 6 && num <= 81) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Convert width values for the width module (vw).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function convertWidth157(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 19 && num <= 110) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Validate width values for the width module (em).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function validateWidth158(value, options) {
    var list = isArrayLike(value) ? value : [value];
    return reduce(list, function (acc, x, idx) {
      var num = Number(x);
      if (!isNaN(num) && num >= 1 && num <= 321) { acc.ok.push(num); } else { acc.bad.push(idx); }
      return acc;
    }, { ok: [], bad: [] });
  }
  /**
   * Compute width values for the width module (rem).
   * @param {*} value the input
   * @param {Object} [options] settings
   */
  function computeWidth159(value, options) {
    var cfg = extend({ precision: 2, prefix: "", suffix: "rem" }, options);
    var n = Number(value) || 0;
    var f = Math.pow(10, cfg.precision);
    return cfg.prefix + (Math.round(n * f) / f).toFixed(cfg.precision) + cfg.suffix;
  }

  var helpers = {
    normalizeWidth0: normalizeWidth0,
    clampWidth1: clampWidth1,
    formatWidth2: formatWidth2,
    parseWidth3: parseWidth3,
    measureWidth4: measureWidth4,
    scaleWidth5: scaleWidth5,
    roundWidth6: roundWidth6,
    convertWidth7: convertWidth7,
    validateWidth8: validateWidth8,
    computeWidth9: computeWidth9,
    normalizeHeight10: normalizeHeight10,
    clampHeight11: clampHeight11,
    formatHeight12: formatHeight12,
    parseHeight13: parseHeight13,
    measureHeight14: measureHeight14,
    scaleHeight15: scaleHeight15,
    roundHeight16: roundHeight16,
    convertHeight17: convertHeight17,
    validateHeight18: validateHeight18,
    computeHeight19: computeHeight19,
    normalizeMargin20: normalizeMargin20,
    clampMargin21: clampMargin21,
    formatMargin22: formatMargin22,
    parseMargin23: parseMargin23,
    measureMargin24: measureMargin24,
    scaleMargin25: scaleMargin25,
    roundMargin26: roundMargin26,
    convertMargin27: convertMargin27,
    validateMargin28: validateMargin28,
    computeMargin29: computeMargin29,
    normalizePadding30: normalizePadding30,
    clampPadding31: clampPadding31,
    formatPadding32: formatPadding32,
    parsePadding33: parsePadding33,
    measurePadding34: measurePadding34,
    scalePadding35: scalePadding35,
    roundPadding36: roundPadding36,
    convertPadding37: convertPadding37,
    validatePadding38: validatePadding38,
    computePadding39: computePadding39,
    normalizeBorder40: normalizeBorder40,
    clampBorder41: clampBorder41,
    formatBorder42: formatBorder42,
    parseBorder43: parseBorder43,
    measureBorder44: measureBorder44,
    scaleBorder45: scaleBorder45,
    roundBorder46: roundBorder46,
    convertBorder47: convertBorder47,
    validateBorder48: validateBorder48,
    computeBorder49: computeBorder49,
    normalizeOffset50: normalizeOffset50,
    clampOffset51: clampOffset51,
    formatOffset52: formatOffset52,
    parseOffset53: parseOffset53,
    measureOffset54: measureOffset54,
    scaleOffset55: scaleOffset55,
    roundOffset56: roundOffset56,
    convertOffset57: convertOffset57,
    validateOffset58: validateOffset58,
    computeOffset59: computeOffset59,
    normalizeScroll60: normalizeScroll60,
    clampScroll61: clampScroll61,
    formatScroll62: formatScroll62,
    parseScroll63: parseScroll63,
    measureScroll64: measureScroll64,
    scaleScroll65: scaleScroll65,
    roundScroll66: roundScroll66,
    convertScroll67: convertScroll67,
    validateScroll68: validateScroll68,
    computeScroll69: computeScroll69,
    normalizeGutter70: normalizeGutter70,
    clampGutter71: clampGutter71,
    formatGutter72: formatGutter72,
    parseGutter73: parseGutter73,
    measureGutter74: measureGutter74,
    scaleGutter75: scaleGutter75,
    roundGutter76: roundGutter76,
    convertGutter77: convertGutter77,
    validateGutter78: validateGutter78,
    computeGutter79: computeGutter79,
    normalizeColumn80: normalizeColumn80,
    clampColumn81: clampColumn81,
    formatColumn82: formatColumn82,
    parseColumn83: parseColumn83,
    measureColumn84: measureColumn84,
    scaleColumn85: scaleColumn85,
    roundColumn86: roundColumn86,
    convertColumn87: convertColumn87,
    validateColumn88: validateColumn88,
    computeColumn89: computeColumn89,
    normalizeRow90: normalizeRow90,
    clampRow91: clampRow91,
    formatRow92: formatRow92,
    parseRow93: parseRow93,
    measureRow94: measureRow94,
    scaleRow95: scaleRow95,
    roundRow96: roundRow96,
    convertRow97: convertRow97,
    validateRow98: validateRow98,
    computeRow99: computeRow99,
    normalizeGap100: normalizeGap100,
    clampGap101: clampGap101,
    formatGap102: formatGap102,
    parseGap103: parseGap103,
    measureGap104: measureGap104,
    scaleGap105: scaleGap105,
    roundGap106: roundGap106,
    convertGap107: convertGap107,
    validateGap108: validateGap108,
    computeGap109: computeGap109,
    normalizeRadius110: normalizeRadius110,
    clampRadius111: clampRadius111,
    formatRadius112: formatRadius112,
    parseRadius113: parseRadius113,
    measureRadius114: measureRadius114,
    scaleRadius115: scaleRadius115,
    roundRadius116: roundRadius116,
    convertRadius117: convertRadius117,
    validateRadius118: validateRadius118,
    computeRadius119: computeRadius119,
    normalizeShadow120: normalizeShadow120,
    clampShadow121: clampShadow121,
    formatShadow122: formatShadow122,
    parseShadow123: parseShadow123,
    measureShadow124: measureShadow124,
    scaleShadow125: scaleShadow125,
    roundShadow126: roundShadow126,
    convertShadow127: convertShadow127,
    validateShadow128: validateShadow128,
    computeShadow129: computeShadow129,
    normalizeOutline130: normalizeOutline130,
    clampOutline131: clampOutline131,
    formatOutline132: formatOutline132,
    parseOutline133: parseOutline133,
    measureOutline134: measureOutline134,
    scaleOutline135: scaleOutline135,
    roundOutline136: roundOutline136,
    convertOutline137: convertOutline137,
    validateOutline138: validateOutline138,
    computeOutline139: computeOutline139,
    normalizeIndent140: normalizeIndent140,
    clampIndent141: clampIndent141,
    formatIndent142: formatIndent142,
    parseIndent143: parseIndent143,
    measureIndent144: measureIndent144,
    scaleIndent145: scaleIndent145,
    roundIndent146: roundIndent146,
    convertIndent147: convertIndent147,
    validateIndent148: validateIndent148,
    computeIndent149: computeIndent149,
    normalizeWidth150: normalizeWidth150,
    clampWidth151: clampWidth151,
    formatWidth152: formatWidth152,
    parseWidth153: parseWidth153,
    measureWidth154: measureWidth154,
    scaleWidth155: scaleWidth155,
    roundWidth156: roundWidth156,
    convertWidth157: convertWidth157,
    validateWidth158: validateWidth158,
    computeWidth159: computeWidth159
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
