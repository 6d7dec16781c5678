"""Config shared by the environment tests: images, compute types, conda-store's token."""

from __future__ import annotations

TOKEN = "s3cret-conda-store-token"

IMAGES = {
    "torch-gpu": {
        "image": "registry.example.com/ml/torch:2026.11",
        "kernel": "python3",
        "label": "PyTorch (GPU)",
        "description": "PyTorch 2.9 with CUDA",
        "image_pull_secret": "registry-creds",
        "working_dir": "/home/jovyan/work",
        "env": {"TORCH_HOME": "/home/jovyan/.torch"},
        "compute_types": ["gpu-1", "gpu-4"],
        "default_compute_type": "gpu-1",
    },
    "plain": {"image": "quay.io/jupyter/scipy-notebook:2026-11-01"},
}
COMPUTE_TYPES = {
    "small": {"cpu_request": "500m", "cpu_limit": "1", "memory_request": "1Gi", "memory_limit": "2Gi"},
    "gpu-1": {
        "cpu_request": "4", "memory_limit": "16Gi", "gpus": 1,
        "node_selector": {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    },
    "gpu-4": {"cpu_request": "16", "memory_limit": "64Gi", "gpus": 4, "gpu_resource": "amd.com/gpu"},
}
