"""A metric across a model's versions, as a terminal plot (plotext via textual-plotext).

``TrendPlot.show(series)`` draws a ``TrendSeries``: a line through the versions' values
in commit order, ``○`` at every version and ``●`` at the marked ones (shape, not colour,
tells them apart, so it reads under ``NO_COLOR``). Every text from the repository
(version labels, the metric key, the branch name) is cleaned before plotext sees it:
the widget renders plotext's output with ``Text.from_ansi``, so an escape sequence in a
label would otherwise reach the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual_plotext import PlotextPlot

from modeltrail.tui.safe_text import clean

ORDINARY, MARKED = "○", "●"
#: Version labels under the x axis are cut to this many characters.
TICK_CHARS = 10
#: At most this many labelled ticks (marked versions, first and last are preferred).
MAX_TICKS = 6


@dataclass
class TrendSeries:
    """What to plot: the metric, the branch (or the list's scope), its direction, and the
    points in order.

    ``points`` are ``{"version", "commit", "value"}`` dicts (``value`` None when the
    version does not report the metric); ``marked`` the commits to highlight.
    """

    metric: str
    branch: str | None
    direction: str = "higher"
    points: list[dict] = field(default_factory=list)
    marked: set[str] = field(default_factory=set)
    #: the versions plotted, when they are the version list's (``"the main line"``,
    #: ``"all branches"``); else ``branch`` says
    scope: str | None = None

    @property
    def plotted(self) -> list[tuple[int, float, dict]]:
        """(x position 1.., value, point) for the points that have a value."""
        return [
            (i + 1, float(p["value"]), p)
            for i, p in enumerate(self.points)
            if p.get("value") is not None
        ]

    def title(self) -> str:
        if self.scope is not None:
            where = f"on {self.scope}, as listed"
        else:
            where = f"along {self.branch}" if self.branch else "across all versions"
        better = "lower" if self.direction == "lower" else "higher"
        return clean(f"{self.metric} {where} ({better} is better)", single_line=True)


def tick_positions(series: TrendSeries) -> list[int]:
    """Which plotted x positions get a label: marked ones first, then the ends."""
    plotted = series.plotted
    if not plotted:
        return []
    chosen: list[int] = [x for x, _, p in plotted if p["commit"] in series.marked]
    for x in (plotted[0][0], plotted[-1][0]):
        if x not in chosen:
            chosen.append(x)
    return sorted(chosen[:MAX_TICKS])


def _label(point: dict) -> str:
    text = clean(point.get("version") or point["commit"][:7], single_line=True)
    return text if len(text) <= TICK_CHARS else text[: TICK_CHARS - 1] + "…"


class TrendPlot(PlotextPlot):
    """The trend plot. Call :meth:`show` with a series; it redraws on resize itself."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series: TrendSeries | None = None

    def show(self, series: TrendSeries | None) -> None:
        """Draw ``series`` (None: an empty frame saying there is nothing to plot)."""
        self.series = series
        plt = self.plt
        plt.clear_figure()
        plt.clear_data()
        if series is None or not series.plotted:
            plt.title("no numeric values to plot")
            self.refresh()
            return
        plt.title(series.title())
        plotted = series.plotted
        xs = [x for x, _, _ in plotted]
        ys = [y for _, y, _ in plotted]
        if len(plotted) > 1:
            plt.plot(xs, ys, marker="braille")
        plain = [(x, y) for x, y, p in plotted if p["commit"] not in series.marked]
        marked = [(x, y) for x, y, p in plotted if p["commit"] in series.marked]
        if plain:
            plt.scatter(
                [x for x, _ in plain], [y for _, y in plain], marker=ORDINARY, label="version"
            )
        if marked:
            plt.scatter(
                [x for x, _ in marked], [y for _, y in marked], marker=MARKED, label="marked"
            )
        ticks = tick_positions(series)
        by_x = {x: p for x, _, p in plotted}
        # plotext's stubs ask for list[float]; int positions are what it draws with
        plt.xticks(ticks, [_label(by_x[x]) for x in ticks])  # type: ignore[arg-type]
        if len(xs) == 1:
            plt.xlim(0, 2)
        self.refresh()

    def summary(self) -> str:
        """One line describing what is plotted, for a caption and for tests."""
        s = self.series
        if s is None:
            return ""
        plotted = s.plotted
        on_branch = {p["commit"] for p in s.points}
        missing = sorted(c[:7] for c in s.marked - on_branch)
        text = f"{len(plotted)}/{len(s.points)} versions with a value"
        if missing:
            text += f"; marked, not on this branch: {', '.join(missing)}"
        return text
