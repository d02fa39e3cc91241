// Plotly's figure widget, its code loaded once per page instead of once per figure.
//
// plotly.FigureWidget sends its browser code (5 MB: all of plotly.js) with every figure, and
// anywidget evaluates it again for each one: a notebook with ten training widgets (21 figures)
// kept JupyterLab's main thread busy for 29 s. This module is what a figure of the course
// sends instead. It imports plotly's code once per page from a URL the browser caches: the
// course's JupyterLab extension folder, where `./course` links plotly's own file. Where that
// URL is missing (another front end), it takes the code from a model of its own that the
// kernel opens once, before its first figure (plotly_code.js).
const VERSION = "__PLOTLY_VERSION__";
const shared = (globalThis.__mlCoursePlotlyWidget ??= {});

function extensionUrl() {
  const config = document.getElementById("jupyter-config-data");
  const base = config && JSON.parse(config.textContent).fullLabextensionsUrl;
  return base ? new URL(`${base}/ml-course-glue/static/plotly-widget.js?v=${VERSION}`, location.href).href : null;
}

function fromCarrier() {
  // settled with the carried code (plotly_code.js), imported once it is wanted and here
  shared.carried ??= {};
  shared.carried.promise ??= new Promise((resolve) => { shared.carried.resolve = resolve; });
  shared.carried.load = load;               // wanted: the carrier calls it when its code comes
  load();
  return shared.carried.promise;
}

function load() {
  // only where the extension's copy is missing: 5 MB to evaluate, not to be paid twice
  const carried = shared.carried;
  if (!carried.code || !carried.code.byteLength || carried.loading) return;
  carried.loading = true;
  const url = URL.createObjectURL(new Blob([carried.code], { type: "text/javascript" }));
  carried.resolve(import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url)));
}

function plotly() {
  if (!shared[VERSION]) {
    const url = extensionUrl();
    shared[VERSION] = url
      ? import(/* webpackIgnore: true */ url).catch(() => {
          console.info("ml-course: plotly's widget code is not at", url, "- using the kernel's copy");
          return fromCarrier();
        })
      : fromCarrier();
  }
  return shared[VERSION];
}

export default () => {
  let figure;                        // plotly's own {initialize, render} for this model
  return {
    async initialize(context) {
      // awaited: the kernel's messages to this figure wait until plotly listens to them
      figure = (await plotly()).default();
      return figure.initialize(context);
    },
    render(context) {
      return figure.render(context);
    },
  };
};
