"""Import the Alibaba GPU cluster trace's node list (``openb_node_list_gpu_node.csv``, columns
``sn,cpu_milli,memory_mib,gpu,model``) as one data center of an :class:`InventoryDocument`.

Identical nodes (same model, GPU count, CPU and memory) form one pool; every GPU model seen
gets an :class:`AcceleratorModel` with its datasheet figures, except G1/G2/G3, which the
trace leaves undisclosed (their figures are marked ``estimate``). Node ids are the ``sn``
values lower-cased and reduced to AIP-122 ids. Alibaba does not say where the cluster is:
the data center is placed in Hangzhou, and that, like its PUE, price and grid factor, is an
estimate.

Trace: Alibaba Cluster Trace Program, ``cluster-trace-gpu-v2023``; paper: Q. Weng et al.,
"Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation Gradient
Descent", USENIX ATC 2023.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from pathlib import Path

from computenet.errors import InvalidArgument, Violations
from inventory.document import InventoryDocument, validate_document
from inventory.domain import (
    ID_PATTERN,
    AcceleratorModel,
    DataCenter,
    HubClass,
    Node,
    Pool,
    Region,
)

__all__ = [
    "OPENB_COLUMNS",
    "OPENB_MODELS",
    "document_from_openb_nodes",
    "node_id_from_sn",
]

OPENB_COLUMNS = ("sn", "cpu_milli", "memory_mib", "gpu", "model")
"""The header the node list must have, in this order."""

_UNDISCLOSED = (
    "estimate: {name} is an undisclosed Alibaba-internal GPU model in the openb trace "
    "(trace README); memory, FP16 and power are placeholders of a mid-range data-center GPU"
)

OPENB_MODELS: Mapping[str, AcceleratorModel] = {
    "T4": AcceleratorModel(
        "t4", "NVIDIA T4 16GB", "NVIDIA", 16, 65.0, 70,
        "NVIDIA T4 datasheet: 65 TFLOPS FP16 (mixed precision), 16 GB GDDR6, 70 W",
    ),
    "P100": AcceleratorModel(
        "p100-pcie-16gb", "NVIDIA Tesla P100 PCIe 16GB", "NVIDIA", 16, 18.7, 250,
        "NVIDIA Tesla P100 datasheet (PCIe 16 GB): 18.7 TFLOPS FP16, 250 W; the trace does not "
        "say PCIe or SXM2: form factor estimate",
    ),
    "V100M16": AcceleratorModel(
        "v100-sxm2-16gb", "NVIDIA V100 SXM2 16GB", "NVIDIA", 16, 125.0, 300,
        "NVIDIA V100 datasheet (SXM2): 125 TFLOPS Tensor, 300 W; the trace does not say PCIe "
        "or SXM2: form factor estimate",
    ),
    "V100M32": AcceleratorModel(
        "v100-sxm2-32gb", "NVIDIA V100 SXM2 32GB", "NVIDIA", 32, 125.0, 300,
        "NVIDIA V100 datasheet (SXM2): 125 TFLOPS Tensor, 32 GB HBM2, 300 W; the trace does not "
        "say PCIe or SXM2: form factor estimate",
    ),
    "A10": AcceleratorModel(
        "a10", "NVIDIA A10 24GB", "NVIDIA", 24, 125.0, 150,
        "NVIDIA A10 datasheet: FP16 Tensor 125 TFLOPS dense (250 with sparsity), 24 GB GDDR6, "
        "150 W",
    ),
    **{
        name: AcceleratorModel(
            f"openb-{name.lower()}", f"Alibaba {name} (undisclosed)", "undisclosed", 16, 100.0,
            250, _UNDISCLOSED.format(name=name),
        )
        for name in ("G1", "G2", "G3")
    },
}  # fmt: skip
"""Accelerator model for each ``model`` value of the trace."""

# The trace does not disclose where the cluster is: Hangzhou (Alibaba's home) is an estimate.
_HANGZHOU = Region(
    id="zhejiang-hangzhou",
    display_name="杭州 (estimate: the openb cluster's location is not disclosed)",
    province="Zhejiang",
    latitude=30.27,
    longitude=120.16,
    hub="",
    hub_class=HubClass.NONE,
)

_DC_SOURCE = (
    "nodes: Alibaba cluster-trace-gpu-v2023 openb node list (Weng et al., USENIX ATC 2023); "
    "location not disclosed: Hangzhou is an estimate; grid carbon: 华东 regional 2022 factor "
    "0.5617 kg/kWh (MEE & NBS, 2024-12); price 0.63 CNY/kWh estimate (China Briefing: industrial "
    "average ~US$0.088/kWh in 2024); design PUE 1.3 estimate; PUE target 1.3: large data "
    "centers by 2025 (发改高技〔2020〕1922号)"
)

_NON_ID = re.compile(r"[^a-z0-9-]+")


def node_id_from_sn(sn: str) -> str:
    """An AIP-122 id for a serial number: lower-cased, other characters turned into hyphens,
    prefixed with ``n-`` when it does not start with a letter, at most 63 characters."""
    ident = _NON_ID.sub("-", sn.strip().lower())
    ident = re.sub(r"-{2,}", "-", ident).strip("-")
    if not ident or not ident[0].isalpha():
        ident = f"n-{ident}"
    return ident[:63].rstrip("-")


def _size(value: int, unit: int, suffix: str, raw_suffix: str) -> str:
    return f"{value // unit}{suffix}" if value % unit == 0 else f"{value}{raw_suffix}"


def _pool_id(model: AcceleratorModel | None, gpus: int, cpu_milli: int, memory_mib: int) -> str:
    prefix = f"{model.id}-{gpus}x" if model else "cpu"
    cpu = _size(cpu_milli, 1000, "c", "m")
    mem = _size(memory_mib, 1024, "g", "mi")
    return f"{prefix}-{cpu}-{mem}"


def _positive_int(v: Violations, field: str, raw: str, allow_zero: bool = False) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        v.add(field, f"must be an integer, got {raw!r}")
        return 0
    if value < 0 or (value == 0 and not allow_zero):
        v.add(field, f"must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


def document_from_openb_nodes(
    path: str | os.PathLike[str],
    data_center_id: str = "alibaba-openb",
    *,
    region: Region = _HANGZHOU,
    display_name: str = "Alibaba GPU cluster (openb trace)",
) -> InventoryDocument:
    """One data center holding every node of an openb node list, pooled by shape.

    Raises ``InvalidArgument`` naming the file line (``<file>:<line>.<column>``) of every
    malformed row, or the header when it is not ``sn,cpu_milli,memory_mib,gpu,model``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"cannot read openb node list {p}: {exc}") from exc

    v = Violations()
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != OPENB_COLUMNS:
        v.add(f"{p.name}:1", f"header must be {','.join(OPENB_COLUMNS)}, got {header!r}")
        v.raise_if_any(f"{p} is not an openb node list")

    models: dict[str, AcceleratorModel] = {}
    pools: dict[str, Pool] = {}
    nodes: list[Node] = []
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        where = f"{p.name}:{line}"
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(OPENB_COLUMNS):
            v.add(where, f"expected {len(OPENB_COLUMNS)} columns, got {len(row)}: {row!r}")
            continue
        sn, cpu_raw, mem_raw, gpu_raw, model_raw = (cell.strip() for cell in row)
        before = len(v.items)
        cpu_milli = _positive_int(v, f"{where}.cpu_milli", cpu_raw)
        memory_mib = _positive_int(v, f"{where}.memory_mib", mem_raw)
        gpus = _positive_int(v, f"{where}.gpu", gpu_raw, allow_zero=True)
        node_id = node_id_from_sn(sn)
        if not sn:
            v.add(f"{where}.sn", "must not be empty")
        elif not ID_PATTERN.match(node_id):
            v.add(f"{where}.sn", f"{sn!r} gives no valid node id")
        elif node_id in first_line:
            v.add(f"{where}.sn", f"node id {node_id!r} already used on line {first_line[node_id]}")
        model: AcceleratorModel | None = None
        if gpus > 0:
            model = OPENB_MODELS.get(model_raw)
            if model is None:
                v.add(
                    f"{where}.model",
                    f"unknown GPU model {model_raw!r}; known: {', '.join(OPENB_MODELS)}",
                )
        if len(v.items) > before:
            continue
        first_line[node_id] = line
        pool_id = _pool_id(model, gpus, cpu_milli, memory_mib)
        if model is not None:
            models.setdefault(model.id, model)
        pools.setdefault(
            pool_id,
            Pool(
                data_center=data_center_id,
                id=pool_id,
                accelerator_model=model.id if model else "",
                accelerators_per_node=gpus,
                cpu_milli_per_node=cpu_milli,
                memory_mib_per_node=memory_mib,
                display_name=f"{model_raw or 'CPU'} x{gpus}, {cpu_milli} mCPU, {memory_mib} MiB",
            ),
        )
        nodes.append(
            Node(
                data_center=data_center_id,
                id=node_id,
                pool=pool_id,
                accelerator_model=model.id if model else "",
                accelerator_count=gpus,
                cpu_milli=cpu_milli,
                memory_mib=memory_mib,
            )
        )
    v.raise_if_any(f"openb node list {p} has {len(v.items)} malformed field(s)")

    dc = DataCenter(
        id=data_center_id,
        display_name=display_name,
        region=region.id,
        province=region.province,
        latitude=region.latitude,
        longitude=region.longitude,
        grid_carbon_g_per_kwh=561.7,
        electricity_price_cny_per_kwh=0.63,
        design_pue=1.3,
        pue_target=1.3,
        commissioned_year=0,
        labels={"operator": "Alibaba", "trace": "cluster-trace-gpu-v2023/openb"},
        source=_DC_SOURCE,
    )
    doc = InventoryDocument(
        accelerator_models=tuple(models.values()),
        regions=(region,),
        data_centers=(dc,),
        pools=tuple(pools.values()),
        nodes=tuple(nodes),
    )
    validate_document(doc).raise_if_any(f"openb import of {p} is not a valid inventory")
    return doc
