"""Constants shared by the submission checks' tests and their fixtures."""

TOKEN = "checks-service-account-token"
COMPUTE_TYPES = {
    "small": {"cpu_request": "500m", "memory_request": "1Gi"},
    "big": {"cpu_request": "4", "memory_limit": "16Gi"},
    "gpu-2": {"cpu_request": "1", "memory_request": "4Gi", "gpus": 2},
}
