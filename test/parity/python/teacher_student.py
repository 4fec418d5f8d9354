# Distillation in a small form: a helper module built first (a fixed random projection of the
# raw features), a larger teacher built next, then the student the optimiser trains. The loop
# calls all three; the traced model is the student, the one whose parameters the optimiser holds
# and whose output the loss differentiates, not the first or the largest module of the script.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
project = nn.Linear(10, 6)
teacher = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3))
student = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
for p in list(project.parameters()) + list(teacher.parameters()):
    p.requires_grad_(False)

optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
raw = torch.randn(48, 10)
temperature = 2.0

for step in range(6):
    batch = raw[(step % 3) * 16:(step % 3 + 1) * 16]
    with torch.no_grad():
        features = project(batch)
        soft = F.softmax(teacher(features) / temperature, dim=1)
    logits = student(features)
    loss = F.mse_loss(F.softmax(logits / temperature, dim=1), soft)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
