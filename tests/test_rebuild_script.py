"""scripts/train_default_model.sh, the command that rebuilds the shipped models, run end to end small (SMOKE=1:
2 crystals a group, one epoch a network; about a minute): every step runs in its order and writes what the next
one reads; the files it ships are ensembles of the right members, trained on the right data and fine-tuned
from the right networks with the real structures mixed in; a second run keeps every finished step; a run after
one step's file is lost makes that step again and keeps the others; RELATIVES=1 fine-tunes with the relatives;
GATE=1 puts the peak gate in front of every network and changes nothing else;
SMOKE=1 without MODELS is refused (the shipped files stay). Skipped (77) without ../shared/data (the real
structures), without Debian's python3-h5py, or when the build is not build/ (the script runs build/xrdsym).
"""
import os
import shutil
import subprocess
import sys
import tempfile

from py_checks import SRC, check, finish

shared = os.environ.get("XS_SHARED_DATA", os.path.join(SRC, "..", "shared", "data"))
if not os.path.isdir(shared):
    print(f"SKIPPED: no shared data at {shared} (the script reads its real structures)")
    sys.exit(77)
try:
    import h5py
except ImportError as e:
    print(f"SKIPPED: {e} (this test reads the model files with Debian's python3-h5py)")
    sys.exit(77)
build = os.path.realpath(os.environ.get("XS_BUILD_DIR", os.path.join(SRC, "build")))
if build != os.path.realpath(os.path.join(SRC, "build")) or not os.access(os.path.join(build, "xrdsym"), os.X_OK):
    print(f"SKIPPED: the script runs {SRC}/build/xrdsym, and this build is {build}")
    sys.exit(77)
SCRIPT = os.path.join(SRC, "scripts", "train_default_model.sh")
RUN_FILES = ("synth2500.h5", "sgA.h5", "sgA-mix.h5", "sgC.h5", "sgC-mix.h5", "synth.h5", "cs-v2.h5")


def rebuild(run, models, relatives=False, smoke=True, gate=False):
    env = dict(os.environ, XS_SHARED_DATA=shared, OMP_NUM_THREADS="1")
    for k in ("MODELS", "RELATIVES", "GATE"):
        env.pop(k, None)
    if gate:
        env["GATE"] = "1"
    if smoke:
        env["SMOKE"] = "1"
    if models:
        env["MODELS"] = models
    if relatives:
        env["RELATIVES"] = "1"
    r = subprocess.run(["bash", SCRIPT, run], env=env, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout + r.stderr


def members(path):
    """per member: (spec, meta attributes as text)"""
    with h5py.File(path, "r") as f:
        out = []
        for k in range(int(f.attrs["members"])):
            g = f[f"member_{k}"]
            meta = {a: str(v) for a, v in g["meta"].attrs.items()} if "meta" in g else {}
            out.append((str(g.attrs["spec"]), str(g.attrs["label_kind"]), meta))
        return out


def stamps(run):
    return {n: os.stat(os.path.join(run, n)).st_mtime_ns for n in RUN_FILES if os.path.exists(os.path.join(run, n))}


with tempfile.TemporaryDirectory() as d:
    run, models = os.path.join(d, "run"), os.path.join(d, "models")
    rc, out = rebuild(run, models)
    check(rc == 0, f"the small rebuild runs end to end (exit {rc}): {out[-1500:]}")
    made = stamps(run)
    check(sorted(made) == sorted(RUN_FILES), f"every step's file written: {sorted(made)}")
    sg, cs = os.path.join(models, "default.h5"), os.path.join(models, "crystal-system.h5")
    if rc == 0 and os.path.exists(sg) and os.path.exists(cs):
        m = members(sg)
        check(len(m) == 2, f"the space-group file holds 2 members: {len(m)}")
        if len(m) == 2:
            (dense_spec, kind_a, meta_a), (cnn_spec, _, meta_c) = m
            check("autocorr 1024; dense 1024 relu" in dense_spec and "conv 32 9 2 relu" in cnn_spec and
                  kind_a == "space_group", f"first the dense network, then the CNN: {dense_spec[:60]} / {cnn_spec[:60]}")
            for name, meta, base in (("dense", meta_a, "sgA.h5"), ("CNN", meta_c, "sgC.h5")):
                check("--per-group 2 --seed 2027" in meta.get("data_generator", ""),
                      f"{name}: trained on the script's crystals: {meta.get('data_generator')}")
                check(meta.get("fine_tuned_from", "").endswith(os.path.join(run, base)),
                      f"{name}: fine-tuned from {base}: {meta.get('fine_tuned_from')}")
                check("cod-inorganic.h5, fraction 0.1" in meta.get("mixed_data", "") and
                      meta.get("sample_prior_power") == "1", f"{name}: real structures and the prior: {meta}")
            check("kalpha2 0.5" in meta_c.get("augmentation", "") and "kalpha2 0 " in meta_a.get("augmentation", ""),
                  "the CNN learns with K-alpha2, the dense network without: "
                  f"{meta_c.get('augmentation')} / {meta_a.get('augmentation')}")
        c = members(cs)
        check(len(c) == 1 and c[0][1] == "crystal_system" and "--per-group 2 --seed 2026" in c[0][2].get("data_generator", ""),
              f"the crystal-system file: one member on its own crystals: {[(k, meta.get('data_generator')) for _, k, meta in c]}")
        p = subprocess.run([os.path.join(build, "xrdsym"), "predict", "--model", sg,
                            os.path.join(SRC, "examples", "quartz-simulated.xy")], capture_output=True, text=True)
        check(p.returncode == 0 and "space group" in p.stdout.lower(), f"predict reads the rebuilt file: {p.stderr[-300:]}")

    # run again: every finished step is kept
    rc, out = rebuild(run, models)
    check(rc == 0 and stamps(run) == made, f"a second run makes nothing again (exit {rc}): {out[-500:]}")
    # one step's file lost: that step again, the others kept
    os.remove(os.path.join(run, "sgC-mix.h5"))
    rc, out = rebuild(run, models)
    again = stamps(run)
    check(rc == 0 and "sgC-mix.h5" in again and all(again[n] == made[n] for n in RUN_FILES if n != "sgC-mix.h5"),
          f"a lost fine-tuning made again, the other steps kept (exit {rc}): {out[-500:]}")

    # RELATIVES=1 in a run of its own (the real structures copied, not made again)
    rel = os.path.join(d, "rel")
    os.makedirs(rel)
    shutil.copytree(os.path.join(run, "table1"), os.path.join(rel, "table1"), symlinks=True)
    rc, out = rebuild(rel, os.path.join(d, "rel-models"), relatives=True)
    relatives = os.path.join(rel, "table1", "cod-relatives.h5")
    check(rc == 0 and os.path.exists(relatives), f"RELATIVES=1 runs end to end (exit {rc}): {out[-1500:]}")
    if rc == 0 and os.path.exists(relatives):
        with h5py.File(relatives, "r") as f, h5py.File(os.path.join(rel, "table1", "cod-inorganic.h5"), "r") as g:
            n_rel, n_cod = len(f["crystals/source"]), len(g["crystals/source"])
        # one relative a structure: more crystals than the structures, at most twice as many (a relative that
        # fails or repeats another crystal is left out)
        check(n_cod < n_rel <= 2 * n_cod, f"the relatives file holds the structures and a relative of each: {n_rel} against {n_cod}")
        for spec, _, meta in members(os.path.join(d, "rel-models", "default.h5")):
            check("cod-relatives.h5, fraction 0.1" in meta.get("mixed_data", ""), f"fine-tuned with the relatives: {meta.get('mixed_data')}")

    # GATE=1 in a run of its own: the peak gate in front of every network, nothing else changed
    gated = os.path.join(d, "gate")
    os.makedirs(gated)
    shutil.copytree(os.path.join(run, "table1"), os.path.join(gated, "table1"), symlinks=True)
    rc, out = rebuild(gated, os.path.join(d, "gate-models"), gate=True)
    check(rc == 0, f"GATE=1 runs end to end (exit {rc}): {out[-1500:]}")
    if rc == 0:
        specs = [spec for name in ("default.h5", "crystal-system.h5")
                 for spec, _, _ in members(os.path.join(d, "gate-models", name))]
        plain = [spec for name in ("default.h5", "crystal-system.h5") for spec, _, _ in members(os.path.join(models, name))]
        check(len(specs) == 3 and all("highpass 41; peaks 3;" in x for x in specs) and
              [x.replace(" peaks 3;", "") for x in specs] == plain,
              f"GATE=1: every network gated, and otherwise the script's: {specs} / {plain}")
        check(not any("peaks" in x for x in plain), f"without GATE no network is gated: {plain}")

    # the shipped files are never the target of a small run
    rc, out = rebuild(os.path.join(d, "nomodels"), None)
    check(rc == 2 and "needs MODELS" in out, f"SMOKE=1 without MODELS refused (exit {rc}): {out[-300:]}")

finish()
