// Plotly's figure widget, its code loaded once per page instead of once per figure.
//
// plotly.FigureWidget sends its browser code (5 MB: all of plotly.js) with every figure, and
// anywidget evaluates it again for each one: a notebook with ten training widgets (21 figures)
// kept JupyterLab's main thread busy for 29 s. This module is what a figure of the course
// sends instead. It imports plotly's code once per page from a URL the browser caches: the
// course's JupyterLab extension folder, where `./course` links plotly's own file. Where that
// URL is missing (another front end), it takes the code from the first figure a kernel
// made, which alone carries it (`_plotly_code`, sent just after the figure opened: a first
// message of 5 MB kept a busy browser creating the figure while its layout arrived, and the
// layout was lost).
const VERSION = "__PLOTLY_VERSION__";
const shared = (globalThis.__mlCoursePlotlyWidget ??= {});

function extensionUrl() {
  const config = document.getElementById("jupyter-config-data");
  const base = config && JSON.parse(config.textContent).fullLabextensionsUrl;
  return base ? new URL(`${base}/ml-course-glue/static/plotly-widget.js?v=${VERSION}`, location.href).href : null;
}

function fromFirstFigure() {
  // settled when a figure that carries the code offers it (offer, below)
  shared.carried ??= {};
  shared.carried.promise ??= new Promise((resolve) => { shared.carried.resolve = resolve; });
  return shared.carried.promise;
}

function offer(code) {
  fromFirstFigure();
  if (shared.carried.offered) return;
  shared.carried.offered = true;
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  shared.carried.resolve(import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url)));
}

function plotly(model) {
  const code = model.get("_plotly_code");
  if (code && code.byteLength) offer(code);
  else model.on("change:_plotly_code", () => offer(model.get("_plotly_code")));   // sent after it opened
  if (!shared[VERSION]) {
    const url = extensionUrl();
    shared[VERSION] = url
      ? import(/* webpackIgnore: true */ url).catch(() => {
          console.info("ml-course: plotly's widget code is not at", url, "- using the kernel's copy");
          return fromFirstFigure();
        })
      : fromFirstFigure();
  }
  return shared[VERSION];
}

export default () => {
  let figure;                        // plotly's own {initialize, render} for this model
  return {
    async initialize(context) {
      // awaited: the kernel's messages to this figure wait until plotly listens to them
      figure = (await plotly(context.model)).default();
      return figure.initialize(context);
    },
    render(context) {
      return figure.render(context);
    },
  };
};
