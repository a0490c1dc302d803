"""The local executor: GPU hand-out to jobs that declare GPUs."""

from __future__ import annotations


def test_local_executor_hands_out_gpus(tmp_path):
    from repro.pipeline.execute import Job, LocalExecutor

    def job(gpus: int) -> Job:
        resources = {"cpus": 1, "gpus": gpus}
        return Job("a/b", tmp_path, tmp_path, tmp_path, {}, "p", tmp_path, resources)

    executor = LocalExecutor(workers=2, gpus=["0", "1"])
    free = ["0", "1"]
    placed, taken = executor._with_gpus(job(1), free)
    assert placed.env["CUDA_VISIBLE_DEVICES"] == "0" and taken == ["0"] and free == ["1"]
    assert executor._with_gpus(job(2), free) is None  # waits until two are free
    cpu_job, none = executor._with_gpus(job(0), free)
    assert cpu_job.env["CUDA_VISIBLE_DEVICES"] == "" and none == []
    no_gpu_executor = LocalExecutor(workers=1)
    assert no_gpu_executor._with_gpus(job(1), [])[0].env == {}  # no GPUs given: runs on the CPU
