"""The per-notebook cost model behind ``repro build --dry-run``.

``benchmarks/cost_model.yaml`` gives, per notebook, what its work scales with
(``work``: an arithmetic expression over the notebook's parameters, e.g. optimiser
steps x examples), the seconds one unit of that work took where it was measured
(``seconds_per_unit`` on the CPU of a rehearsal/local run or a benchmark, with
``measured`` saying where), a fixed ``overhead_s`` (kernel start, imports, loading),
and ``paper_scale`` (an expression too; ``rehearsal`` is true under a rehearsal
profile, ``gpu`` when the job asks for a GPU): how much more one unit costs with the
paper's model than with the stand-in it was measured on. ``paper_scale`` and the
file's ``gpu_speedup`` are ASSUMPTIONS, labelled as such in the file and in every
plan, until a GPU run is timed.

Expressions are evaluated by a small whitelist interpreter (names, numbers, lists,
``+ - * / //``, comparisons, ``x if c else y``, subscripts, ``len sum max min`` and
one-generator comprehensions); ``constants`` in the file (e.g. GLUE split sizes) are
visible to every expression.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repro.core.errors import InputError
from repro.core.paths import repo_root

COST_MODEL = Path("benchmarks") / "cost_model.yaml"
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCS = {"len": len, "sum": sum, "max": max, "min": min}


class CostModelError(InputError):
    """The cost model file or one of its expressions is malformed."""


@dataclass(frozen=True)
class NotebookCost:
    """How one notebook's time scales with its parameters."""

    notebook_id: str
    work: str  # expression over the parameters
    unit: str  # what one unit of work is
    seconds_per_unit: float  # measured on the CPU named in ``measured``
    overhead_s: float  # fixed cost per run
    measured: str  # where seconds_per_unit comes from
    paper_scale: str = "1"  # ASSUMPTION (expression): paper model cost / measured model cost
    paper_scale_note: str = ""


@dataclass(frozen=True)
class CostModel:
    """Unit costs for every notebook plus the device assumption."""

    path: Path
    gpu_speedup: float  # ASSUMPTION: CPU seconds / GPU seconds for the same work
    gpu_note: str
    notebooks: dict[str, NotebookCost]
    constants: dict[str, Any] = field(default_factory=dict)
    default_overhead_s: float = 10.0


def _number(doc: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise CostModelError(f"{where}: field '{key}' must be a number >= 0, got {value!r}")
    return float(value)


def load_cost_model(path: Path | None = None) -> CostModel:
    """Read the cost model (default ``benchmarks/cost_model.yaml``)."""
    path = path or repo_root() / COST_MODEL
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CostModelError(f"{path}: cannot read the cost model ({exc})") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("notebooks"), Mapping):
        raise CostModelError(f"{path}: expected a mapping with 'gpu_speedup' and 'notebooks'")
    gpu = doc.get("gpu_speedup")
    if not isinstance(gpu, Mapping):
        raise CostModelError(f"{path}: field 'gpu_speedup' must be {{value, assumption}}")
    speedup = _number(gpu, "value", f"{path}: gpu_speedup")
    if speedup <= 0:
        raise CostModelError(f"{path}: gpu_speedup.value must be > 0")
    notebooks = {}
    for nb, raw in doc["notebooks"].items():
        where = f"{path}: notebooks.{nb}"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("work"), str | int | float):
            raise CostModelError(f"{where}: expected a mapping with 'work' (an expression)")
        notebooks[str(nb)] = NotebookCost(
            notebook_id=str(nb),
            work=str(raw["work"]),
            unit=str(raw.get("unit", "unit")),
            seconds_per_unit=_number(raw, "seconds_per_unit", where, 0.0),
            overhead_s=_number(raw, "overhead_s", where, 0.0),
            measured=str(raw.get("measured", "not measured")),
            paper_scale=str(raw.get("paper_scale", 1)),
            paper_scale_note=str(raw.get("paper_scale_note", "")),
        )
    return CostModel(
        path=path,
        gpu_speedup=speedup,
        gpu_note=str(gpu.get("assumption", "")),
        notebooks=notebooks,
        constants=dict(doc.get("constants") or {}),
        default_overhead_s=_number(doc, "default_overhead_s", str(path), 10.0),
    )


def evaluate(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate a cost expression over ``names`` with the whitelist interpreter.

    Raises:
        CostModelError: on syntax outside the whitelist or an unknown name.
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise CostModelError(f"cost expression {expression!r}: {exc.msg}") from exc
    return _eval(tree.body, dict(names), expression)


def _eval(node: ast.AST, env: dict[str, Any], text: str) -> Any:
    def ev(n: ast.AST) -> Any:
        return _eval(n, env, text)

    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise CostModelError(f"cost expression {text!r}: unknown name '{node.id}'")
        return env[node.id]
    if isinstance(node, ast.List | ast.Tuple):
        return [ev(e) for e in node.elts]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -ev(node.operand)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMPOPS:
        return _CMPOPS[type(node.ops[0])](ev(node.left), ev(node.comparators[0]))
    if isinstance(node, ast.IfExp):
        return ev(node.body) if ev(node.test) else ev(node.orelse)
    if isinstance(node, ast.Subscript):
        return ev(node.value)[ev(node.slice)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in _FUNCS:
            raise CostModelError(f"cost expression {text!r}: function '{node.func.id}' not allowed")
        return _FUNCS[node.func.id](*[ev(a) for a in node.args])
    if isinstance(node, ast.GeneratorExp | ast.ListComp) and len(node.generators) == 1:
        gen = node.generators[0]
        if not isinstance(gen.target, ast.Name) or gen.ifs or gen.is_async:
            raise CostModelError(f"cost expression {text!r}: only 'for NAME in ...' comprehensions")
        items = _eval(gen.iter, env, text)
        return [_eval(node.elt, {**env, gen.target.id: item}, text) for item in items]
    raise CostModelError(f"cost expression {text!r}: {type(node).__name__} not allowed")


def estimate_seconds(
    cost: NotebookCost | None,
    params: Mapping[str, Any],
    model: CostModel,
    gpus: float,
    rehearsal: bool = False,
) -> tuple[float, float]:
    """(work units, seconds on the job's device) for one notebook run.

    CPU time = overhead + units x seconds_per_unit x paper_scale; a job that asks for
    GPUs divides the variable part by the model's (assumed) ``gpu_speedup``.
    """
    if cost is None:
        return 0.0, model.default_overhead_s
    names = {**model.constants, **params, "rehearsal": rehearsal, "gpu": gpus > 0}
    units = float(evaluate(cost.work, names))
    variable = units * cost.seconds_per_unit * float(evaluate(cost.paper_scale, names))
    if gpus > 0:
        variable /= model.gpu_speedup
    return units, cost.overhead_s + variable
