"""
Many Python scripts run as __main__ in one process of /usr/bin/python3 (importing torch costs
seconds on a loaded machine), each with fresh globals, its own sys.argv and __file__, torch's
defaults put back (default dtype, grad mode, print options) and its stdout captured.

stdin:  {"scripts": [{"text", "file"}], "threads": null | torch's intra-op thread count}
stdout: [{"stdout"} | {"error": traceback}] in the same order
"""
import contextlib
import io
import json
import sys
import traceback
import warnings

import torch


def main():
    request = json.load(sys.stdin)
    if request.get("threads"):
        torch.set_num_threads(request["threads"])
    answers = []
    for script in request["scripts"]:
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
        torch.set_printoptions(profile="default", sci_mode=None)
        warnings.simplefilter("ignore")
        sys.argv = [script["file"]]
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(script["text"], script["file"], "exec"), {"__name__": "__main__", "__file__": script["file"]})
            answers.append({"stdout": out.getvalue()})
        except BaseException:  # a script's sys.exit too: the others still run
            answers.append({"error": traceback.format_exc()})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
