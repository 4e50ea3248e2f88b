"""xrdsym's networks against PyTorch 1.13 with the same weights, input and dropout masks.

For both built-in architectures ("cnn" on the paper's 8,500-point grid with 230 classes, "dense" with its
hidden layers 4000-3000-1000-800 on 1,000 inputs and 230 classes, so that the test stays a few seconds),
tests/test_nn_export.c (from $XS_BUILD_DIR) writes the model file, the input, the outputs, and for each of
the three losses the loss, the outputs with dropout and the gradient of every parameter. This script reads
the model file with h5py (checking the documented layout), rebuilds the network in PyTorch from the
specification text and the stored weights, applies the same dropout masks and compares.

Tolerances (float32 on both sides, sums in different orders; "seen" is this machine, torch 1.13):
  outputs (probabilities ~ 1/230):   absolute 1e-8  (seen: <= 9.3e-10; float32 spacing at 4e-3 is 4.7e-10)
  loss:                              relative 1e-6  (seen: <= 1.1e-7)
  gradients, per tensor:             max |g_xs - g_torch| <= 2e-5 * max |g_torch| (seen: <= 1.2e-6; sums of
                                     up to 8,500 float32 products in another order)
Exit 77 (skipped) when torch or h5py is missing.
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print(f"SKIPPED: {e} (this test needs Debian's python3-torch and python3-h5py)")
    sys.exit(77)

PROB_TOL = 1e-8
LOSS_REL_TOL = 1e-6
GRAD_REL_TOL = 2e-5

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def parse_spec(text):
    out = []
    for stmt in text.split(";"):
        words = stmt.split()
        if words and words[0] != "input":
            out.append(words)
    return out


def build_params(model):
    params = {}
    w = model["weights"]
    for name in w:
        layer = int(name.split("_")[0])
        params[f"{layer}.W"] = torch.tensor(np.array(w[name]["W"]), requires_grad=True)
        params[f"{layer}.b"] = torch.tensor(np.array(w[name]["b"]), requires_grad=True)
    return params


def forward(spec, params, x, masks):
    """Returns (probabilities, logits before the final softmax)."""
    h = x
    logits = None
    for i, st in enumerate(spec):
        kind = st[0]
        if kind == "dense":
            if h.dim() == 3:
                h = h.reshape(h.shape[0], -1)
            h = F.linear(h, params[f"{i}.W"], params[f"{i}.b"])
            act = st[2] if len(st) > 2 else "linear"
            if act == "relu":
                h = F.relu(h)
            elif act == "softmax":
                logits = h
                h = F.softmax(h, dim=1)
        elif kind in ("conv", "conv1d"):
            if h.dim() == 2:
                h = h.unsqueeze(1)
            h = F.conv1d(h, params[f"{i}.W"], params[f"{i}.b"], stride=int(st[3]))
            if len(st) > 4 and st[4] == "relu":
                h = F.relu(h)
        elif kind in ("avgpool", "maxpool"):
            k = int(st[1])
            s = int(st[2]) if len(st) > 2 else k
            h = (F.avg_pool1d if kind == "avgpool" else F.max_pool1d)(h, k, s)
        elif kind == "dropout":
            if masks is not None and f"mask_{i}" in masks:
                m = torch.tensor(np.array(masks[f"mask_{i}"]))
                if m.dim() == 3:  # engine layout [channel][batch][length]
                    m = m.permute(1, 0, 2)
                h = h * m.reshape(h.shape)
        elif kind == "relu":
            h = F.relu(h)
        elif kind == "softmax":
            logits = h
            h = F.softmax(h, dim=1)
        elif kind == "flatten":
            h = torch.flatten(h, 1)
        else:
            raise ValueError(kind)
    return h, logits


def loss_of(name, probs, logits, labels, n_classes):
    y = F.one_hot(labels.long(), n_classes).float()
    if name == "quadratic":  # paper eq. 4
        return 0.5 * ((y - probs) ** 2).sum(1).mean()
    if name == "paper-ce":  # paper eq. 5, probabilities clipped as Keras does
        c = probs.clamp(1e-7, 1 - 1e-7)
        return -(y * torch.log(c) + (1 - y) * torch.log(1 - c)).sum(1).mean()
    return F.cross_entropy(logits, labels.long())


def check_model_file(path, arch, n_in, n_classes):
    with h5py.File(path, "r") as f:
        a = f.attrs
        check(a["format"] == "xrdsym-model" and int(a["format_version"]) == 1, f"{arch}: format attributes")
        check(int(a["n_inputs"]) == n_in and int(a["n_classes"]) == n_classes, f"{arch}: shape attributes")
        check(f["grid"].attrs["count"] == n_in and abs(f["grid"].attrs["wavelength"] - 1.5406) < 1e-12,
              f"{arch}: grid group")
        check(f["meta"].attrs["purpose"] == "torch comparison", f"{arch}: meta group")
        for name in f["weights"]:
            W = f["weights"][name]["W"]
            check(W.dtype == np.float32 and W.ndim in (2, 3), f"{arch}: weights {name} {W.dtype} {W.shape}")


def compare(arch, n_in, n_classes, batch, build):
    helper = os.path.join(build, "tests", "test_nn_export")
    if not os.access(helper, os.X_OK):
        check(False, f"helper {helper} is missing: build the project first")
        return
    with tempfile.TemporaryDirectory(dir=build) as tmp:
        prefix = os.path.join(tmp, arch)
        subprocess.run([helper, arch, str(n_in), str(n_classes), str(batch), prefix], check=True)
        check_model_file(prefix + "-model.h5", arch, n_in, n_classes)
        with h5py.File(prefix + "-model.h5", "r") as model, h5py.File(prefix + "-io.h5", "r") as io:
            spec = parse_spec(model.attrs["spec"])
            params = build_params(model)
            x = torch.tensor(np.array(io["x"]))
            labels = torch.tensor(np.array(io["labels"]))
            with torch.no_grad():
                p, _ = forward(spec, params, x, None)
            err = float(np.abs(p.numpy() - np.array(io["probs"])).max())
            print(f"{arch:5s} inference     max |p_xs - p_torch| = {err:.2e}")
            check(err <= PROB_TOL, f"{arch}: inference outputs differ by {err}")
            for loss_name in ("quadratic", "paper-ce", "cce"):
                g = io[loss_name]
                for t in params.values():
                    t.grad = None
                p, logits = forward(spec, params, x, io["masks"])
                loss = loss_of(loss_name, p, logits, labels, n_classes)
                loss.backward()
                perr = float(np.abs(p.detach().numpy() - np.array(g["probs"])).max())
                xs_loss = float(g.attrs["loss"])
                lerr = abs(xs_loss - loss.item()) / abs(loss.item())
                gerr = 0.0
                for name, t in params.items():
                    ref = t.grad.numpy()
                    mine = np.array(g["grad"][name])
                    check(mine.shape == ref.shape, f"{arch} {loss_name}: gradient {name} shape {mine.shape} vs {ref.shape}")
                    scale = float(np.abs(ref).max())
                    e = float(np.abs(mine - ref).max()) / scale if scale > 0 else float(np.abs(mine).max())
                    gerr = max(gerr, e)
                    check(e <= GRAD_REL_TOL, f"{arch} {loss_name}: gradient {name} differs by {e:.2e} of its largest value")
                print(f"{arch:5s} {loss_name:10s} loss {loss.item():.6f} rel.err {lerr:.1e}; "
                      f"outputs {perr:.1e}; worst gradient tensor {gerr:.1e} of its max")
                check(perr <= PROB_TOL, f"{arch} {loss_name}: outputs with dropout differ by {perr}")
                check(lerr <= LOSS_REL_TOL, f"{arch} {loss_name}: loss {xs_loss} vs {loss.item()}")


def main():
    torch.set_num_threads(2)
    build = os.environ.get("XS_BUILD_DIR")
    if not build:
        print("XS_BUILD_DIR is not set (ctest sets it)")
        return 1
    print(f"torch {torch.__version__}")
    compare("cnn", 8500, 230, 4, build)
    compare("dense", 1000, 230, 4, build)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
