"""A person picks an environment and a compute type in the form, and the job runs with them."""

from __future__ import annotations

import pytest

from lab import COMPUTE_TYPES, IMAGES, SERVER_IMAGE
from scheduler_ui import SchedulerUI

pytestmark = pytest.mark.slow


def test_the_picker_offers_each_environment_by_name_with_what_tells_them_apart(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "pick.ipynb")
    ui.open_notebook("pick.ipynb")
    ui.create_job_from_notebook_toolbar("pick.ipynb")
    # GIVEN the form, with the first environment preselected and shown (not blank)
    assert page.locator("#jp-create-job-environment").inner_text() == "scipy"
    # WHEN the person opens the Environment picker
    titles = ui.environment_option_titles()
    # THEN each environment is offered by name, its tooltip telling label, image, kernel and compute
    compute = "compute: small (cpu 500m, memory 1Gi); large (cpu 2-4, memory 4Gi-8Gi)"
    assert titles == {
        "scipy": f"SciPy notebook · Jupyter's SciPy stack · image {IMAGES['scipy']['image']} · {compute}",
        "plain": f"Image {IMAGES['plain']['image']} · {compute}",
        "printing": f"Image {IMAGES['printing']['image']} · compute: small (cpu 500m, memory 1Gi)",
        "python3": f"Kernel Python 3 (ipykernel) (python) · {compute}",
    }


KINDS = {
    # environment -> (image of the pod, kernel imposed; None: the notebook's own)
    "python3": (SERVER_IMAGE, "python3"),
    "scipy": (IMAGES["scipy"]["image"], None),
    "plain": (IMAGES["plain"]["image"], None),
}


@pytest.mark.parametrize("environment", list(KINDS), ids=["kernelspec", "labelled-image", "unlabelled-image"])
def test_a_job_in_each_kind_of_environment_completes_with_its_image_kernel_and_resources(page, lab, environment):
    ui = SchedulerUI(page, lab)
    notebook = lab.add_notebook("parameters.ipynb", f"in-{environment}.ipynb")
    ui.open_notebook(notebook)
    ui.create_job_from_notebook_toolbar(notebook)
    # WHEN the person picks the environment and the large compute type
    ui.choose_environment(environment)
    # THEN the form keeps showing its formats and compute types
    assert ui.checked_formats() == ["ipynb", "html"]
    ui.choose_compute_type("large")
    page.shots(f"form-{environment}-large", docs=environment == "scipy")
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # AND the job completes
    assert ui.reload_until(f"in-{environment}") == ["Completed"], lab.job(job_id)
    job = lab.job(job_id)
    assert (job["runtime_environment_name"], job["compute_type"]) == (environment, "large")
    # AND its manifest has the environment's image and kernel and the compute type's resources
    container = lab.run_container(job_id)
    image, kernel = KINDS[environment]
    assert (container["image"], container["spec"]["kernel_name"]) == (image, kernel)
    large = COMPUTE_TYPES["large"]
    assert container["resources"] == {
        "requests": {"cpu": large["cpu_request"], "memory": large["memory_request"]},
        "limits": {"cpu": large["cpu_limit"], "memory": large["memory_limit"]},
    }
