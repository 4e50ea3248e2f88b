"""PyTorch peer of bench/bench_nn.c: the same architectures (xs_nn.h's built-ins "dense" and "cnn"), Adam with
the same defaults, cross entropy, random patterns; training samples/s (forward with dropout, backward, Adam
step) or inference patterns/s (eval mode, no autograd). Prints samples_per_cpu_s (per second of process CPU
time, all threads) and, as its last line, samples_per_s=N.

Usage: /usr/bin/python3 bench/torch_peer.py --arch dense|cnn --mode train|infer [--batch 128] [--threads 2]
       [--inputs 8500] [--classes 230] [--seconds 20] [--warmup 2]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn


def build(arch, n_in, n_cls):
    if arch == "dense":
        return nn.Sequential(
            nn.Linear(n_in, 4000), nn.ReLU(), nn.Dropout(0.6),
            nn.Linear(4000, 3000), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(3000, 1000), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(1000, 800), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(800, n_cls))  # softmax is inside the cross entropy
    h1, h2 = (700, 70) if n_cls <= 7 else (2300, 1150)
    body = nn.Sequential(
        nn.Conv1d(1, 80, 100, 5), nn.ReLU(), nn.Dropout(0.3), nn.AvgPool1d(3, 2),
        nn.Conv1d(80, 80, 50, 5), nn.ReLU(), nn.Dropout(0.3), nn.AvgPool1d(3, 3),
        nn.Conv1d(80, 80, 25, 2), nn.ReLU(), nn.Dropout(0.3), nn.AvgPool1d(3, 3),
        nn.Flatten())
    with torch.no_grad():
        flat = body(torch.zeros(1, 1, n_in)).shape[1]
    return nn.Sequential(nn.Unflatten(1, (1, n_in)), body,
                         nn.Linear(flat, h1), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(h1, h2), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(h2, n_cls))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="dense", choices=["dense", "cnn"])
    ap.add_argument("--mode", default="train", choices=["train", "infer"])
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--inputs", type=int, default=8500)
    ap.add_argument("--classes", type=int, default=230)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = build(a.arch, a.inputs, a.classes)
    x = torch.rand(a.batch, a.inputs)
    y = torch.randint(0, a.classes, (a.batch,))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"torch={torch.__version__} arch={a.arch} mode={a.mode} batch={a.batch} threads={torch.get_num_threads()} "
          f"params={n_params}")
    if a.mode == "train":
        model.train()
    else:
        model.eval()
    done, it, t0, c0, loss = 0, 0, 0.0, 0.0, float("nan")
    while True:
        if it == a.warmup:
            t0, c0 = time.perf_counter(), time.process_time()
        if a.mode == "train":
            opt.zero_grad(set_to_none=True)
            out = model(x)
            l = loss_fn(out, y)
            l.backward()
            opt.step()
            loss = l.item()
        else:
            with torch.inference_mode():
                torch.softmax(model(x), dim=1)
        if it >= a.warmup:
            done += 1
            if time.perf_counter() - t0 >= a.seconds and done >= 3:
                break
        it += 1
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"steps={done} seconds={dt:.2f} cpu_seconds={cpu:.2f} last_loss={loss:.4f} peak_rss_mib={rss:.0f}")
    print(f"samples_per_cpu_s={done * a.batch / cpu:.1f}")
    print(f"samples_per_s={done * a.batch / dt:.1f}")


if __name__ == "__main__":
    main()
