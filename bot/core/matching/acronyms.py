"""Common machine-learning acronyms and what they stand for, matched both ways.

A topic `LLM` also finds "large language model", and a topic "large language model" also finds
"LLM". Expansions are written as plain text; they go through the same normalisation as papers.

Single-word entries are related acronyms that count as the same topic.
"""

# Prefixes that people write both joined and hyphenated: multimodal / multi-modal.
COMPOUND_PREFIXES = ("multi", "cross", "self", "semi", "zero", "few", "meta", "non")

ACRONYMS: dict[str, tuple[str, ...]] = {
    # Narrower kinds count too: an MLLM or an LRM is an LLM, and the field calls MLLMs and
    # LVLMs VLMs.
    "llm": ("large language model", "MLLM", "LVLM", "LRM", "large reasoning model"),
    "lrm": ("large reasoning model",),
    "mllm": ("multimodal large language model", "multi-modal large language model"),
    "vlm": (
        "vision language model",
        "vision-language model",
        "LVLM",
        "MLLM",
        "large vision language model",
        "multimodal large language model",
    ),
    "lvlm": ("large vision language model",),
    "slm": ("small language model",),
    "lm": ("language model",),
    "ssm": ("state space model",),
    "rl": ("reinforcement learning",),
    "rlhf": ("reinforcement learning from human feedback",),
    "rlvr": ("reinforcement learning with verifiable rewards",),
    "dpo": ("direct preference optimization",),
    "ppo": ("proximal policy optimization",),
    "grpo": ("group relative policy optimization",),
    "gspo": ("group sequence policy optimization",),
    "dapo": ("decoupled clip and dynamic sampling policy optimization",),
    "trpo": ("trust region policy optimization",),
    "pinn": ("physics informed neural network",),
    "gnn": ("graph neural network",),
    "cnn": ("convolutional neural network",),
    "rnn": ("recurrent neural network",),
    "vit": ("vision transformer",),
    "gan": ("generative adversarial network",),
    "vae": ("variational autoencoder",),
    "rag": ("retrieval augmented generation",),
    "nerf": ("neural radiance field",),
    "moe": ("mixture of experts",),
    "lora": ("low rank adaptation",),
    "peft": ("parameter efficient fine tuning",),
    "sft": ("supervised fine tuning",),
    "cot": ("chain of thought",),
    "nlp": ("natural language processing",),
    "asr": ("automatic speech recognition",),
    "tts": ("text to speech",),
    "ocr": ("optical character recognition",),
    "vqa": ("visual question answering",),
    "mcts": ("monte carlo tree search",),
    "kd": ("knowledge distillation",),
    "3dgs": ("3d gaussian splatting",),
    "vla": ("vision language action",),
    "ddpm": ("denoising diffusion probabilistic model",),
    "ddim": ("denoising diffusion implicit model",),
    "dit": ("diffusion transformer",),
    "ldm": ("latent diffusion model",),
    "snn": ("spiking neural network",),
    "ner": ("named entity recognition",),
    "mlp": ("multilayer perceptron", "multi layer perceptron"),
    "kv": ("key value",),
    "icl": ("in context learning",),
    "odqa": ("open domain question answering",),
    "qa": ("question answering",),
    "gpu": ("graphics processing unit",),
    "gui": ("graphical user interface",),
    "uav": ("unmanned aerial vehicle",),
    "slam": ("simultaneous localization and mapping",),
    "nvs": ("novel view synthesis",),
    "prm": ("process reward model",),
    "dlm": ("diffusion language model",),
}
