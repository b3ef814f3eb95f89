"""Build a tiny random-weights Llama and a byte-level BPE tokenizer with a chat template, on disk.

No hub download exists here, so the training tests (and the GPU smoke run) load a model that this
module writes: ``build(path)`` saves both with ``save_pretrained`` and the driver loads ``path`` like
any hub id.
"""

from __future__ import annotations

from pathlib import Path

#: A minimal chat format: role markers as special tokens, generation prompt = assistant marker.
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIALS = ["<|pad|>", "<|bos|>", "<|eos|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
CORPUS = [
    "core.register_node('mymod:stone', {description = 'Stone', tiles = {'stone.png'}})",
    "minetest.register_craft({output = 'mymod:pick', recipe = {{'a', 'b'}}})",
    "Write a Luanti mod that registers a glowing node. Answer with one Lua code block.",
    "local function on_punch(pos, node, puncher) core.chat_send_all('hit') end",
]


def build(
    path: str | Path,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    vocab: int = 400,
    init_range: float = 0.02,
) -> Path:
    """Write a random Llama (``hidden`` wide, ``layers`` deep) and its tokenizer to ``path``.

    ``init_range`` is the weights' standard deviation. A LoRA cannot change the frozen output head,
    and behind the final norm a head this small caps the logits near uniform: a model whose adapter
    must learn exact text (the serving end-to-end test) needs a wider one."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    raw.train_from_iterator(CORPUS * 4, trainer=trainer)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token="<|bos|>",
        eos_token="<|eos|>",
        pad_token="<|pad|>",
        additional_special_tokens=SPECIALS[3:],
    )
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=4096,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        initializer_range=init_range,
    )
    model = LlamaForCausalLM(config)
    # a turn ends at <|end|> (the chat template's end marker): servers stop generating there too
    model.generation_config.eos_token_id = [tok.eos_token_id, tok.convert_tokens_to_ids("<|end|>")]
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
