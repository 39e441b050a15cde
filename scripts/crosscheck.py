"""Compares an eval run on the cross-check set with the independent reference.

Usage: python3 scripts/crosscheck.py EVAL.samples.jsonl REFERENCE.jsonl
Prints, per method: identical predictions (of the samples both have), and mean scores (x100)
of the engine and the reference, and the per-(length, task) cells whose means differ by more
than 3 points. The cross-check README says what counts as agreement.
"""
import json
import sys
from collections import defaultdict


def main(ours_path, ref_path):
    ref = {}
    with open(ref_path) as f:
        for line in f:
            r = json.loads(line)
            ref[r["id"]] = r
    ours = defaultdict(dict)
    with open(ours_path) as f:
        for line in f:
            s = json.loads(line)
            ours[s["method"]][s["id"]] = s
    for method, samples in sorted(ours.items()):
        same, n, ours_sum, ref_sum = 0, 0, 0.0, 0.0
        cells = defaultdict(lambda: [0.0, 0.0, 0])
        for sid, s in samples.items():
            r = ref.get(sid, {}).get(method)
            if r is None:
                continue
            n += 1
            same += s["prediction"] == r["prediction"]
            ours_sum += s["score"]
            ref_sum += r["score"]
            cell = cells[sid.rsplit("-", 1)[0]]
            cell[0] += s["score"]
            cell[1] += r["score"]
            cell[2] += 1
        if n == 0:
            print(f"{method}: no sample in common with the reference")
            continue
        print(f"{method}: identical predictions {same}/{n}; mean score {100 * ours_sum / n:.1f} "
              f"(reference {100 * ref_sum / n:.1f})")
        for key, (o, r, c) in sorted(cells.items()):
            if abs(o - r) * 100 / c > 3:
                print(f"  {key}: {100 * o / c:.1f} vs reference {100 * r / c:.1f} ({c} samples)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
