// The model that carries plotly's browser code (5 MB) to front ends without the course's
// JupyterLab extension: one per kernel, never displayed, opened before the first figure. It
// hands the code to the figures' module (plotly_widget.js) through a global both share. Being
// no figure, it waits for nothing: the first figure once carried the code itself, and where
// the extension was missing its creation waited for a message that could only come after it.
export default {
  initialize({ model }) {
    const shared = (globalThis.__mlCoursePlotlyWidget ??= {});
    shared.carried ??= {};
    shared.carried.code ??= model.get("code");
    shared.carried.load?.();
  },
};
