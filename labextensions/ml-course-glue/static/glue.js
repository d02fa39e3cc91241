// ml-course-glue: the chapters' {glue:text} numbers in JupyterLab.
//
// The book (myst-nb) replaces {glue:text}`key:fmt` with the value a code cell glued under
// `key` (myst_nb.glue), formatted with the Python format spec `fmt`. jupyterlab-myst renders
// MyST in JupyterLab but knows no glue role: it shows the bare `key:fmt`. This extension
// puts in its place, in each chapter opened as a notebook:
//   - the glued value, formatted as the book does, once the cell that glues it has run;
//   - until then, a marker: "[run the code above]".
// It reads the glued values from the notebook's own outputs (display_data whose metadata
// carries myst-nb's `scrapbook` name) and changes only the rendered text, never the notebook.
// The formatting follows myst-nb's (format_plain_text: Python's literal_eval, then format())
// for the spec types f, e, %, d and s; anything else shows the unformatted value.
//
// A JupyterLab federated extension written by hand, without a build step: it imports no
// JupyterLab package (it uses only the application object its plugin is activated with), so
// its container shares nothing. JupyterLab finds it in share/jupyter/labextensions, where
// ./course links this folder (or --LabApp.extra_labextensions_path=labextensions).
// package.json loads it as static/glue.js?v=<first 12 hex digits of its SHA-256>, so that
// browsers never run a stale copy: after changing this file, update "v" there
// (tests/test_jupyterlab_myst.py checks it and prints the value).
(function () {
  'use strict';

  const NAME = 'ml-course-glue';
  const GLUE_PREFIX = 'application/papermill.record/';
  const ROLE = /\{glue(?::text)?\}`([^`\n]+)`/g;
  const MARKER = '[run the code above]';
  const STYLE = `
.jp-course-glue-pending {
  font-style: italic;
  color: var(--jp-ui-font-color2);
  border-bottom: 1px dashed var(--jp-border-color1);
}
.jp-course-glue-value {
  border-bottom: 1px dotted var(--jp-border-color1);
}`;

  // ---- Python's ast.literal_eval and format(), for what glue stores (text/plain reprs) ----

  function literal(text) {
    const t = text.trim();
    if (/^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) {
      return Number(t.replace(/_/g, ''));
    }
    if (t === 'True' || t === 'False') {
      return t === 'True';
    }
    const quoted = /^(['"])(.*)\1$/s.exec(t);
    if (quoted) {
      return quoted[2].replace(/\\(['"\\])/g, '$1');
    }
    return text; // not a literal: myst-nb keeps the text as it is
  }

  function toFloat(value) {
    if (typeof value === 'number') {
      return value;
    }
    if (typeof value === 'boolean') {
      return value ? 1 : 0;
    }
    const t = String(value).trim().toLowerCase();
    if (/^[-+]?(inf|infinity)$/.test(t)) {
      return t.startsWith('-') ? -Infinity : Infinity;
    }
    if (/^[-+]?nan$/.test(t)) {
      return NaN;
    }
    const number = Number(t);
    if (t === '' || Number.isNaN(number)) {
      throw new Error(`could not convert to float: ${value}`);
    }
    return number;
  }

  // a >= 0 with `precision` digits after the point ('f') or after the first digit ('e'),
  // rounded as Python does. JavaScript's toFixed and toExponential round the double's exact
  // value correctly too, except on an exact tie (2.5, 0.125), which they round up and Python
  // rounds to the even digit.
  function rounded(a, precision, kind) {
    const up = kind === 'f' ? a.toFixed(precision) : a.toExponential(precision);
    if (a === 0 || precision > 99) {
      return up;
    }
    // the double's exact decimal digits (they end within 100 places wherever a tie can be)
    const exact = kind === 'f' ? a.toFixed(100) : a.toExponential(100);
    const point = exact.indexOf('.');
    const exponent = kind === 'f' ? '' : exact.slice(exact.indexOf('e'));
    const fraction = exact.slice(point + 1, kind === 'f' ? undefined : exact.indexOf('e'));
    if (!/^50*$/.test(fraction.slice(precision))) {
      return up; // not a tie
    }
    const down = exact.slice(0, precision ? point + 1 + precision : point) + exponent;
    const last = exact.charAt(precision ? point + precision : point - 1);
    return Number(last) % 2 === 0 ? down : up;
  }

  function group(digits, separator) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  }

  // format(value, spec) for the spec types the chapters use (f, e, %, d, s and none), value
  // being literal(text); null for anything else, and the caller shows the text unformatted.
  function pyFormat(value, spec, text) {
    const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([deEfF%s])?$/s.exec(spec);
    if (!m) {
      return null;
    }
    const [, fillChar, alignChar, sign = '-', , zero, widthText, separator, precisionText, type = 's'] = m;
    const precision = precisionText === undefined ? 6 : Number(precisionText);
    let body;
    let negative = false;
    if (type === 's') {
      // str() of a number is its repr, which is the text/plain glue stored
      body = typeof value === 'boolean' ? (value ? 'True' : 'False')
        : typeof value === 'number' && text !== undefined ? text.trim() : String(value);
      if (precisionText !== undefined) {
        body = body.slice(0, precision);
      }
    } else {
      let x = toFloat(value);
      if (type === 'd') {
        x = Math.trunc(x); // myst-nb converts with int()
      }
      negative = x < 0 || (type !== 'd' && Object.is(x, -0)); // Python: -0.00, but int 0
      const a = Math.abs(x);
      if (!Number.isFinite(a)) {
        body = Number.isNaN(a) ? 'nan' : 'inf';
        if ('EF'.includes(type)) {
          body = body.toUpperCase();
        }
        if (type === '%') {
          body += '%';
        }
      } else if (type === 'e' || type === 'E') {
        // JavaScript writes e-5 where Python writes e-05
        body = rounded(a, precision, 'e').replace(/e([-+])(\d)$/, 'e$10$2');
        if (type === 'E') {
          body = body.toUpperCase();
        }
      } else {
        const scaled = type === '%' ? a * 100 : a;
        if (scaled >= 1e21) {
          return null; // toFixed switches to exponents there; Python does not
        }
        body = rounded(scaled, type === 'd' ? 0 : precision, 'f') + (type === '%' ? '%' : '');
      }
      if (separator && /^\d/.test(body)) {
        const [whole, rest] = /^(\d+)(.*)$/s.exec(body).slice(1);
        body = group(whole, separator) + rest;
      }
    }
    const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    const width = widthText === undefined ? 0 : Number(widthText);
    const fill = fillChar !== undefined ? fillChar : zero && !alignChar ? '0' : ' ';
    const align = alignChar || (zero ? '=' : type === 's' ? '<' : '>');
    const pad = Math.max(0, width - signText.length - body.length);
    if (align === '=') {
      return signText + fill.repeat(pad) + body;
    }
    const signed = signText + body;
    if (align === '<') {
      return signed + fill.repeat(pad);
    }
    if (align === '^') {
      return fill.repeat(Math.floor(pad / 2)) + signed + fill.repeat(pad - Math.floor(pad / 2));
    }
    return fill.repeat(pad) + signed;
  }

  // What the book prints for a role body `key[:fmt]`, or null while nothing is glued as key.
  function shownText(body, glued) {
    const cut = body.lastIndexOf(':');
    const key = cut < 0 ? body : body.slice(0, cut);
    const spec = cut < 0 ? 's' : body.slice(cut + 1);
    if (key.includes('::') || !glued.has(key)) {
      return null; // another page's value, or not run yet
    }
    const text = glued.get(key);
    try {
      const formatted = pyFormat(literal(text), spec, text);
      return formatted === null ? text : formatted;
    } catch (error) {
      return text;
    }
  }

  // ---- the notebook ----

  function notebooks(app) {
    const found = [];
    for (const widget of app.shell.widgets('main')) {
      const notebook = widget.content;
      if (notebook && notebook.model && notebook.widgets && notebook.node &&
          notebook.node.classList.contains('jp-Notebook')) {
        found.push(notebook);
      }
    }
    return found;
  }

  function source(cell) {
    const model = cell.model;
    return model.sharedModel ? model.sharedModel.getSource() : String(model.value && model.value.text);
  }

  // key -> text/plain of what the notebook's code cells glued (myst_nb.glue)
  function gluedValues(notebook) {
    const glued = new Map();
    for (const cell of notebook.widgets) {
      const outputs = cell.model.type === 'code' && cell.model.outputs;
      for (let i = 0; outputs && i < outputs.length; i++) {
        const output = outputs.get(i);
        const scrapbook = output.metadata && output.metadata.scrapbook;
        if (!scrapbook || !scrapbook.name) {
          continue;
        }
        const prefix = scrapbook.mime_prefix === undefined ? GLUE_PREFIX : scrapbook.mime_prefix;
        const text = output.data[prefix + 'text/plain'];
        if (text !== undefined) {
          glued.set(scrapbook.name, Array.isArray(text) ? text.join('') : String(text));
        }
      }
    }
    return glued;
  }

  function setText(span, text) {
    const only = span.childNodes.length === 1 && span.firstChild.nodeType === Node.TEXT_NODE;
    if (only) {
      span.firstChild.nodeValue = text; // keep the node that the renderer (React) owns
    } else {
      span.textContent = text;
    }
  }

  function forget(span) {
    span.removeAttribute('data-course-glue');
    span.removeAttribute('data-course-glue-shown');
    span.removeAttribute('title');
    span.classList.remove('jp-course-glue-pending', 'jp-course-glue-value');
    if (!span.classList.length) {
      span.removeAttribute('class');
    }
  }

  // jupyterlab-myst renders an unknown role as a bare <span> holding the role's text.
  function paste(cell, glued) {
    const bodies = new Set(Array.from(source(cell).matchAll(ROLE), match => match[1]));
    // the rendered Markdown (jupyterlab-myst's widget), never the cell's editor
    const rendered = cell.node.querySelector('.jp-InputArea > .myst');
    if (!rendered) {
      return;
    }
    // (KaTeX's many spans all have a class: skip them)
    for (const span of rendered.querySelectorAll('span:not([class]), span[data-course-glue]')) {
      if (span.closest('.cm-editor')) {
        continue;
      }
      if (span.hasAttribute('data-course-glue')) {
        if (span.textContent === span.getAttribute('data-course-glue-shown')) {
          if (!bodies.has(span.getAttribute('data-course-glue'))) {
            forget(span);
            continue;
          }
        } else if (bodies.has(span.textContent)) {
          span.setAttribute('data-course-glue', span.textContent); // rendered again
        } else {
          forget(span); // the renderer reused the element for other text
          continue;
        }
      } else if (!span.className && !span.children.length && bodies.has(span.textContent)) {
        span.setAttribute('data-course-glue', span.textContent);
      } else {
        continue;
      }
      const body = span.getAttribute('data-course-glue');
      const value = shownText(body, glued);
      const text = value === null ? MARKER : value;
      if (span.textContent !== text) {
        setText(span, text);
      }
      span.setAttribute('data-course-glue-shown', text);
      span.classList.toggle('jp-course-glue-pending', value === null);
      span.classList.toggle('jp-course-glue-value', value !== null);
      span.title = value === null
        ? `glued value "${body}": run the code cells above to compute it`
        : `glued value "${body}", from this session's run`;
    }
  }

  function update(app) {
    for (const notebook of notebooks(app)) {
      let glued = null;
      for (const cell of notebook.widgets) {
        if (cell.model.type !== 'markdown' || !source(cell).includes('{glue')) {
          continue;
        }
        glued = glued || gluedValues(notebook);
        paste(cell, glued);
      }
    }
  }

  const plugin = {
    id: `${NAME}:plugin`,
    description: 'Shows the values of MyST {glue:text} roles in notebooks rendered by jupyterlab-myst.',
    autoStart: true,
    activate(app) {
      const style = document.createElement('style');
      style.id = NAME;
      style.textContent = STYLE;
      document.head.appendChild(style);
      let queued = false;
      const run = () => {
        queued = false;
        try {
          update(app);
        } catch (error) {
          console.warn(`${NAME}:`, error);
        }
      };
      // Cells render, outputs arrive and cells re-render asynchronously: look again, at most
      // every 200 ms, whenever the page changes.
      new MutationObserver(() => {
        if (!queued) {
          queued = true;
          setTimeout(run, 200);
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    }
  };

  // The container JupyterLab loads (webpack's module federation interface).
  const modules = {
    './extension': () => ({ __esModule: true, default: plugin })
  };
  const container = {
    init() {}, // nothing shared
    get(module) {
      return module in modules
        ? Promise.resolve(modules[module])
        : Promise.reject(new Error(`${NAME} has no module ${module}`));
    }
  };
  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = container;
  // for tests/test_jupyterlab_myst.py, which checks the formatting against Python's
  window._JUPYTERLAB[NAME].pyFormat = pyFormat;
  window._JUPYTERLAB[NAME].literal = literal;
})();
