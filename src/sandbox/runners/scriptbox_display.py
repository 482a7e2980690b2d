# scriptbox's matplotlib backend, `module://scriptbox_display` (found by scriptbox_python's meta path
# finder; the runner's dir is never on a script's module path). It draws with Agg, as the sandbox's
# default backend does; showing a figure (pyplot.show(), or figure.show()) sends it to the run's result as
# an image/png display item and closes it, as Jupyter's inline backend does. Figures left open when the
# run ends are sent by the runner (scriptbox_python.emit_figures).
from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase, _Backend
from matplotlib.backends.backend_agg import FigureCanvasAgg, _BackendAgg

import scriptbox_python  # the runner imported it already: this is that module, not a new copy


class FigureManagerScriptbox(FigureManagerBase):
    def show(self):
        """Sends this figure to the result and closes it (pyplot forgets it; the object still works)."""
        scriptbox_python.emit_figure(self.canvas.figure)
        Gcf.destroy(self)


class FigureCanvasScriptbox(FigureCanvasAgg):
    manager_class = FigureManagerScriptbox


@_Backend.export
class _BackendScriptbox(_BackendAgg):
    # _Backend.show() calls show() on each open figure's manager, in the order they were made.
    FigureCanvas = FigureCanvasScriptbox
    FigureManager = FigureManagerScriptbox
