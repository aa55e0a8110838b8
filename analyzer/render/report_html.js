/* report_html.js - the live parts of `heapblame report --format html`,
 * inlined into its last <script> element (embed_assets.py): the flame
 * graph of what is outstanding, drawn from the JSON in #hb-data, and
 * tables sorted by a click on a column. Plain DOM, no library, nothing
 * fetched. Everything else on the page is static HTML, so without
 * JavaScript only the flame graph is missing.
 *
 * #hb-data: {"total": bytes, "blocks": n, "modules": [string index, ...]
 * (the report's modules, most bytes first: they get the palette's
 * colours in that order), "kinds": ["definite", ...] (the leak kinds, in
 * the order of the per-site arrays), "sites": [[bytes, blocks, frames,
 * [bytes by kind], [blocks by kind]], ...], "strings": [...]}; a frame is
 * [function, module, file, line, inlined, offset], innermost first as in
 * the report, the first three indexes into strings (-1: unknown), offset
 * a hex string shown for a function without a symbol.
 *
 * The graph is an icicle: the process's outermost frames on top, the
 * allocating frames at the bottom, each frame as wide as the bytes
 * outstanding under it. Frames merge by function and module (as
 * `--format folded` does), so the lines of one function add up. A click
 * zooms into a frame (its callers stay on top, dimmed, full width, to
 * click back out); frames narrower than MIN_SHARE of the view are left
 * out, so that a report of thousands of sites stays quick. Where the
 * exit scan classified the blocks, buttons weigh the graph by what
 * leaked (definite and indirect), what is still reachable, or what is
 * unclassified instead of everything outstanding: in the demo the cache
 * takes 99% of the width, and the leak is the rest.
 */
(function () {
	"use strict";

	var MIN_SHARE = 0.0015; /* of the view's width: about 2 px of 1200 */
	var ROW = 20; /* px, one frame's height (CSS: 19 px and a 1 px rule) */
	var PALETTE = ["#f2a65a", "#7fb8e6", "#9ad18b", "#e88fa4", "#c3a6e8", "#f2d16b", "#7fd1c7", "#d9a48f",
		"#a7b8f2", "#c8d96b"];
	var OTHER = "#d8d4cc"; /* frames of modules that hold nothing themselves: libc, the loader */

	function size(b) {
		var u = ["B", "KiB", "MiB", "GiB", "TiB"], v = b, k = 0;
		while (v >= 1024 && k < 4) {
			v /= 1024;
			k++;
		}
		if (k === 0)
			return b + " B";
		return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + " " + u[k];
	}

	function percent(part, whole) {
		if (!(whole > 0))
			return "0%";
		var p = 100 * part / whole;
		return (p >= 10 || p === 0 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)) + "%";
	}

	function sortable(table) {
		var head = table.tHead && table.tHead.rows[0];
		if (!head || !table.tBodies.length)
			return;
		Array.prototype.forEach.call(head.cells, function (th, col) {
			th.tabIndex = 0;
			function sort() {
				var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
				/* numbers first sort biggest first, names A to Z */
				var numeric = rows.length && rows[0].cells[col] && rows[0].cells[col].hasAttribute("data-v");
				var cur = th.getAttribute("aria-sort");
				var desc = cur ? cur === "ascending" : numeric;
				rows.sort(function (a, b) {
					var x = a.cells[col], y = b.cells[col], c;
					if (!x || !y)
						return 0;
					if (numeric)
						c = parseFloat(x.getAttribute("data-v")) - parseFloat(y.getAttribute("data-v"));
					else
						c = x.textContent.localeCompare(y.textContent);
					return desc ? -c : c;
				});
				Array.prototype.forEach.call(head.cells, function (h) {
					h.removeAttribute("aria-sort");
				});
				th.setAttribute("aria-sort", desc ? "descending" : "ascending");
				rows.forEach(function (r) {
					body.appendChild(r);
				});
			}
			th.addEventListener("click", sort);
			th.addEventListener("keydown", function (e) {
				if (e.key === "Enter" || e.key === " ") {
					e.preventDefault();
					sort();
				}
			});
		});
	}

	Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);

	var box = document.getElementById("flamegraph");
	var blob = document.getElementById("hb-data");
	if (!box || !blob)
		return;
	var data = JSON.parse(blob.textContent);
	var S = data.strings;
	var info = document.getElementById("flame-info");
	var reset = document.getElementById("flame-reset");
	var legend = document.getElementById("flame-legend");

	var colour = new Map();
	data.modules.forEach(function (m, i) {
		colour.set(S[m], PALETTE[i % PALETTE.length]);
	});

	function Node(name, mod, parent) {
		this.name = name;
		this.mod = mod;
		this.parent = parent;
		this.depth = parent ? parent.depth + 1 : 0;
		this.bytes = 0;
		this.blocks = 0;
		this.locs = [];
		this.inlined = false;
		this.kids = [];
		this.index = new Map();
	}

	/* What the graph is weighed by: a label and a site's [bytes, blocks]. */
	var KIND = {};
	data.kinds.forEach(function (k, i) {
		KIND[k] = i;
	});
	function kindsOf(names) {
		return function (s) {
			var b = 0, n = 0;
			names.forEach(function (k) {
				b += s[3][KIND[k]];
				n += s[4][KIND[k]];
			});
			return [b, n];
		};
	}
	var MEASURES = [
		{label: "all outstanding", of: function (s) {
			return [s[0], s[1]];
		}},
		{label: "leaked (definite and indirect)", of: kindsOf(["definite", "indirect"])},
		{label: "still reachable", of: kindsOf(["reachable"])},
		{label: "unclassified", of: kindsOf(["unclassified"])}
	];

	var root;

	function build(measure) {
		root = new Node(measure.label, null, null);
		root.nsites = 0;
		data.sites.forEach(function (s) {
			var w = measure.of(s);
			if (!w[1])
				return;
			var n = root, frames = s[2];
			n.bytes += w[0];
			n.blocks += w[1];
			root.nsites++;
			for (var q = frames.length - 1; q >= 0; q--) {
				var fr = frames[q];
				var fn = fr[0] >= 0 ? S[fr[0]] : fr[5];
				var mod = fr[1] >= 0 ? S[fr[1]] : null;
				var key = fn + "\u0000" + (mod === null ? "" : mod);
				var k = n.index.get(key);
				if (!k) {
					k = new Node(fn, mod, n);
					n.index.set(key, k);
					n.kids.push(k);
				}
				k.bytes += w[0];
				k.blocks += w[1];
				if (fr[2] >= 0) {
					var loc = S[fr[2]].replace(/^.*\//, "") + (fr[3] ? ":" + fr[3] : "");
					if (k.locs.indexOf(loc) < 0 && k.locs.length < 4)
						k.locs.push(loc);
				}
				k.inlined = k.inlined || !!fr[4];
				n = k;
			}
		});
		(function sortKids(n) {
			n.kids.sort(function (a, b) {
				return b.bytes - a.bytes || b.blocks - a.blocks;
			});
			n.kids.forEach(sortKids);
		})(root);
	}

	/* the legend: the modules that hold memory, in the palette's order */
	if (legend && data.sites.length) {
		colour.forEach(function (c, m) {
			var sw = document.createElement("span");
			sw.style.setProperty("--sw", c);
			sw.textContent = m;
			legend.appendChild(sw);
		});
		var rest = document.createElement("span");
		rest.style.setProperty("--sw", OTHER);
		rest.textContent = "other modules (libc, the loader, ...)";
		legend.appendChild(rest);
	}

	function describe(n) {
		if (n === root)
			return n.name + ": " + size(n.bytes) + " in " + n.blocks + " block" + (n.blocks === 1 ? "" : "s") +
				", " + n.nsites + " site" + (n.nsites === 1 ? "" : "s");
		var where = [n.mod === null ? "?" : n.mod];
		if (n.locs.length)
			where.push(n.locs.slice(0, 3).join(", ") + (n.locs.length > 3 ? ", ..." : ""));
		return n.name + (n.inlined ? " (inlined)" : "") + "  [" + where.join("  ") + "]\n" + size(n.bytes) + " in " +
			n.blocks + " block" + (n.blocks === 1 ? "" : "s") + ", " + percent(n.bytes, root.bytes) +
			" of " + root.name;
	}

	var focus = null, shown = [];

	function put(n, left, width, dim) {
		var d = document.createElement("div");
		d.className = "fg-node" + (n === root ? " fg-root" : "") + (dim ? " fg-dim" : "");
		d.style.left = left + "%";
		d.style.width = width + "%";
		d.style.top = n.depth * ROW + "px";
		d.style.background = n === root ? "#4a5058" : n.mod !== null && colour.has(n.mod) ? colour.get(n.mod) : OTHER;
		d.textContent = n.name;
		d.title = describe(n);
		d.tabIndex = 0;
		d.setAttribute("role", "button");
		d.setAttribute("data-i", String(shown.length));
		shown.push(n);
		return d;
	}

	/* Lays n's callees out in [left, left + width) percent of the view;
	 * returns the deepest depth drawn. Blocks of 0 bytes (malloc(0)) are
	 * counted but take no width. */
	function lay(frag, n, left, width) {
		var deepest = n.depth;
		if (!(n.bytes > 0))
			return deepest;
		var x = left;
		n.kids.forEach(function (k) {
			var w = width * k.bytes / n.bytes;
			if (w >= 100 * MIN_SHARE) {
				frag.appendChild(put(k, x, w, false));
				deepest = Math.max(deepest, lay(frag, k, x, w));
			}
			x += w;
		});
		return deepest;
	}

	function draw() {
		shown = [];
		box.textContent = "";
		if (!root.blocks) {
			box.textContent = "Nothing is outstanding" + (root.name === MEASURES[0].label ? "." : " of this kind.");
			box.className = "fg-empty";
			box.style.height = "auto";
			if (info)
				info.textContent = "";
			return;
		}
		box.className = "";
		var frag = document.createDocumentFragment(), chain = [];
		for (var a = focus; a; a = a.parent)
			chain.unshift(a);
		chain.forEach(function (c) {
			frag.appendChild(put(c, 0, 100, c !== focus));
		});
		var deepest = lay(frag, focus, 0, 100);
		box.style.height = (deepest + 1) * ROW + 1 + "px";
		box.appendChild(frag);
		if (reset)
			reset.disabled = focus === root;
		if (info)
			info.textContent = describe(focus);
	}

	function zoom(n) {
		focus = n;
		draw();
	}

	function target(e) {
		var el = e.target && e.target.closest ? e.target.closest(".fg-node") : null;
		return el ? shown[Number(el.getAttribute("data-i"))] : null;
	}

	box.addEventListener("click", function (e) {
		var n = target(e);
		if (n)
			zoom(n);
	});
	box.addEventListener("keydown", function (e) {
		var n = target(e);
		if (n && (e.key === "Enter" || e.key === " ")) {
			e.preventDefault();
			zoom(n);
		}
	});
	box.addEventListener("mouseover", function (e) {
		var n = target(e);
		if (n && info)
			info.textContent = describe(n);
	});
	box.addEventListener("mouseleave", function () {
		if (info)
			info.textContent = describe(focus);
	});
	if (reset && !data.sites.length)
		reset.hidden = true;
	if (reset)
		reset.addEventListener("click", function () {
			zoom(root);
		});

	/* a button per measure that some block has, when there is a choice */
	var weigh = document.getElementById("flame-weigh");
	var offered = MEASURES.filter(function (m) {
		return data.sites.some(function (s) {
			return m.of(s)[1] > 0;
		});
	});
	if (weigh && offered.length > 2) {
		var label = document.createElement("span");
		label.textContent = "Weigh by:";
		weigh.appendChild(label);
		offered.forEach(function (m, i) {
			var b = document.createElement("button");
			b.type = "button";
			b.textContent = m.label;
			b.setAttribute("aria-pressed", i === 0 ? "true" : "false");
			b.addEventListener("click", function () {
				Array.prototype.forEach.call(weigh.querySelectorAll("button"), function (o) {
					o.setAttribute("aria-pressed", o === b ? "true" : "false");
				});
				build(m);
				zoom(root);
			});
			weigh.appendChild(b);
		});
	}
	build(MEASURES[0]);
	focus = root;
	draw();
})();
