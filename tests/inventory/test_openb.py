"""Tests of the Alibaba openb node-list importer (inventory/openb.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from computenet.errors import InvalidArgument
from inventory.document import dump_document, parse_document, validate_document
from inventory.openb import OPENB_MODELS, document_from_openb_nodes, node_id_from_sn

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "openb_nodes_small.csv"
HEADER = "sn,cpu_milli,memory_mib,gpu,model\n"

# Counted by hand from the sample (tests/data/README_openb_nodes.md):
# (trace model, GPUs per node, cpu_milli, memory_mib) -> nodes
EXPECTED_POOLS = {
    ("P100", 2, 64000, 262144): 3,
    ("G3", 8, 128000, 786432): 1,
    ("V100M32", 8, 96000, 786432): 2,
    ("V100M16", 4, 32000, 131072): 1,
    ("G2", 8, 96000, 393216): 3,
    ("T4", 4, 96000, 393216): 1,
    ("T4", 2, 104000, 524288): 2,
    ("P100", 2, 16000, 122880): 1,
    ("A10", 1, 128000, 1048576): 2,
}


def _write(tmp_path: Path, body: str, name: str = "nodes.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def _fields(path: Path) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as info:
        document_from_openb_nodes(path)
    return {v.field: v.description for v in info.value.violations}


class TestDocumentFromOpenbNodes:
    def test_sample_gives_the_hand_counted_pools(self) -> None:
        """16 nodes in 9 shape pools carrying 70 GPUs of 7 models, as counted by hand."""
        doc = document_from_openb_nodes(SAMPLE)
        trace_name = {m.id: name for name, m in OPENB_MODELS.items()}
        per_pool = Counter(
            (
                trace_name[n.accelerator_model],
                n.accelerator_count,
                n.cpu_milli,
                n.memory_mib,
            )
            for n in doc.nodes
        )
        assert per_pool == EXPECTED_POOLS
        assert len(doc.pools) == 9
        assert sum(n.accelerator_count for n in doc.nodes) == 70
        assert len(doc.accelerator_models) == 7
        assert {n.pool for n in doc.nodes} == {p.id for p in doc.pools}

    def test_one_data_center_in_an_estimated_region(self) -> None:
        """All nodes sit in one data center whose undisclosed location is marked an estimate."""
        doc = document_from_openb_nodes(SAMPLE, data_center_id="openb-test")
        (dc,) = doc.data_centers
        (region,) = doc.regions
        assert dc.id == "openb-test"
        assert {n.data_center for n in doc.nodes} == {"openb-test"}
        assert dc.region == region.id == "zhejiang-hangzhou"
        assert "not disclosed" in dc.source
        assert "estimate" in dc.source

    def test_result_is_valid_and_round_trips(self) -> None:
        """The import validates clean and survives dump and parse unchanged."""
        doc = document_from_openb_nodes(SAMPLE)
        assert not validate_document(doc)
        assert parse_document(dump_document(doc)) == doc

    def test_models_carry_sources_and_undisclosed_ones_say_estimate(self) -> None:
        """Every model names a source; the internal G models are marked as estimates."""
        doc = document_from_openb_nodes(SAMPLE)
        for model in doc.accelerator_models:
            assert model.source
        by_id = {m.id: m for m in doc.accelerator_models}
        assert by_id["openb-g2"].source.startswith("estimate")
        assert by_id["t4"].fp16_tflops == 65.0
        assert by_id["t4"].board_power_w == 70

    def test_node_ids_come_from_serial_numbers(self) -> None:
        """Node ids are the sn values made into AIP-122 ids."""
        doc = document_from_openb_nodes(SAMPLE)
        assert doc.nodes[0].id == "openb-node-0000"
        assert node_id_from_sn("Node_ABC.01") == "node-abc-01"
        assert node_id_from_sn("  --7x--  ") == "n-7x"
        assert len(node_id_from_sn("a" * 100)) == 63

    def test_cpu_only_nodes_are_allowed(self, tmp_path: Path) -> None:
        """A node with gpu 0 goes to a CPU pool with no accelerator model."""
        path = _write(tmp_path, HEADER + "cpu-1,32000,131072,0,\ncpu-2,32000,131072,0,\n")
        doc = document_from_openb_nodes(path)
        (pool,) = doc.pools
        assert (pool.accelerator_model, pool.accelerators_per_node) == ("", 0)
        assert len(doc.nodes) == 2
        assert doc.accelerator_models == ()

    def test_malformed_row_is_named_by_its_line(self, tmp_path: Path) -> None:
        """A bad number, a short row, an unknown model and a repeated sn each name their line."""
        path = _write(
            tmp_path,
            HEADER
            + "ok-1,8000,32768,1,T4\n"
            + "bad-cpu,lots,32768,1,T4\n"
            + "short,8000,32768\n"
            + "odd-model,8000,32768,1,H20\n"
            + "ok-1,8000,32768,1,T4\n",
        )
        found = _fields(path)
        assert set(found) == {
            "nodes.csv:3.cpu_milli",
            "nodes.csv:4",
            "nodes.csv:5.model",
            "nodes.csv:6.sn",
        }
        assert "line 2" in found["nodes.csv:6.sn"]

    def test_negative_and_zero_sizes_are_refused(self, tmp_path: Path) -> None:
        """Memory must be positive and the GPU count not negative."""
        path = _write(tmp_path, HEADER + "n1,8000,0,1,T4\nn2,8000,1024,-1,T4\n")
        assert set(_fields(path)) == {"nodes.csv:2.memory_mib", "nodes.csv:3.gpu"}

    def test_wrong_header_is_refused(self, tmp_path: Path) -> None:
        """A file whose header is not the openb one is refused at line 1."""
        path = _write(tmp_path, "name,cpu,mem,gpu,model\nn1,8000,1024,1,T4\n")
        assert set(_fields(path)) == {"nodes.csv:1"}

    def test_missing_file(self, tmp_path: Path) -> None:
        """An unreadable file is an InvalidArgument, not an OSError."""
        with pytest.raises(InvalidArgument, match="cannot read"):
            document_from_openb_nodes(tmp_path / "absent.csv")
