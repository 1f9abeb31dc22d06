"""Trains the tiny character-level transformer behind the `text-generation` demo space.

Dev-time only (the weights it writes are committed): Debian's python3-torch on one CPU thread,
a public-domain corpus from Debian's r-cran-janeaustenr (Jane Austen's six novels, extracted with
Rscript). Writes charlm.json (architecture, vocabulary, tensor layout) and charlm.bin (float32,
little endian), which src/workers/text-generation/char-model.ts runs in plain TypeScript.

    python3 models/charlm/train.py --minutes 8

The architecture here and the TypeScript forward pass must match line for line: token + position
embeddings, N pre-norm blocks (causal self-attention, then a 4x MLP with tanh-GELU), a final
LayerNorm, and logits from the token embedding matrix (tied weights).
"""

import argparse
import json
import math
import os
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def corpus() -> str:
    script = 'library(janeaustenr); b <- austen_books(); cat(paste(b$text, collapse="\\n"))'
    text = subprocess.run(["Rscript", "-e", script], check=True, capture_output=True, text=True).stdout
    # Keep printable ASCII and newlines: a small, stable vocabulary.
    return "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        shape = (b, t, self.heads, d // self.heads)
        q, k, v = (z.view(shape).transpose(1, 2) for z in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        att = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class CharModel(nn.Module):
    def __init__(self, vocab: int, d: int, heads: int, layers: int, block: int) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(block, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.tok.weight.T


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--d", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--block", type=int, default=96)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1813)  # Pride and Prejudice

    text = corpus()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(len(data) * 0.95)
    train, held = data[:split], data[split:]
    model = CharModel(len(vocab), args.d, args.heads, args.layers, args.block)
    params = sum(p.numel() for p in model.parameters())
    print(f"corpus {len(text):,} chars, vocab {len(vocab)}, {params:,} parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)

    def batch(source: torch.Tensor):
        starts = torch.randint(len(source) - args.block - 1, (args.batch,))
        x = torch.stack([source[s : s + args.block] for s in starts])
        y = torch.stack([source[s + 1 : s + args.block + 1] for s in starts])
        return x, y

    deadline = time.time() + args.minutes * 60
    step = 0
    while time.time() < deadline:
        # Cosine decay over the time budget rather than a step count: the budget is what is fixed.
        progress = 1 - (deadline - time.time()) / (args.minutes * 60)
        for group in opt.param_groups:
            group["lr"] = 3e-4 + (3e-3 - 3e-4) * 0.5 * (1 + math.cos(math.pi * progress))
        x, y = batch(train)
        loss = F.cross_entropy(model(x).view(-1, len(vocab)), y.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 200 == 0:
            with torch.no_grad():
                hx, hy = batch(held)
                held_loss = F.cross_entropy(model(hx).view(-1, len(vocab)), hy.view(-1)).item()
            print(f"step {step}: train {loss.item():.3f}, held-out {held_loss:.3f}", flush=True)

    tensors = []
    blob = bytearray()
    for name, tensor in model.state_dict().items():
        array = tensor.detach().to(torch.float32).contiguous()
        tensors.append({"name": name, "shape": list(array.shape), "offset": len(blob) // 4})
        blob += array.numpy().astype("<f4").tobytes()
    with open(os.path.join(HERE, "charlm.bin"), "wb") as f:
        f.write(blob)
    header = {
        "about": "Character-level transformer trained on Jane Austen's novels by models/charlm/train.py",
        "vocab": "".join(vocab),
        "d": args.d, "heads": args.heads, "layers": args.layers, "block": args.block,
        "steps": step, "parameters": params, "tensors": tensors,
    }
    with open(os.path.join(HERE, "charlm.json"), "w") as f:
        json.dump(header, f, indent=1)
    print(f"wrote charlm.bin ({len(blob):,} bytes) after {step} steps", flush=True)


if __name__ == "__main__":
    main()
