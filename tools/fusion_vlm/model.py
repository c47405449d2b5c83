"""The fusion VLM: projected visual tokens and a fused (image, question, knowledge) token are
put before the text as a prefix of the language model's input embeddings. Trained with the
LM's cross-entropy on answer tokens plus an InfoNCE image-text loss; frozen parts stay frozen
(the vision tower is outside the module: its features come precomputed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from tools.fusion_vlm.config import FusionVLMConfig
from tools.fusion_vlm.distributed import gathered, total, world
from tools.fusion_vlm.knowledge_fusion import FUSIONS, PassageSelector, masked_mean
from tools.fusion_vlm.projector import ModalityProjector
from tools.fusion_vlm.word_projector import WordProjector

IGNORE = -100  # label of tokens that carry no loss (prompt, prefix, padding)


@dataclass
class Batch:
    vision: torch.Tensor  # [B, Nv, Dv] frozen tower features
    input_ids: torch.Tensor  # [B, T] prompt then answer
    attention_mask: torch.Tensor  # [B, T]
    labels: torch.Tensor  # [B, T]: answer tokens, IGNORE elsewhere
    knowledge: torch.Tensor  # [B, Nk, Dk] passage embeddings (zeros where none)
    knowledge_mask: torch.Tensor  # [B, Nk] bool
    #: [B]: the passage whose words are in the prompt (the selector's target), -1 for none.
    chosen: torch.Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.long))
    #: [B, T] bool: the prompt's tokens that are that passage's words, not the question's.
    passage_words: torch.Tensor = field(default_factory=lambda: torch.empty(0, dtype=torch.bool))
    #: [B, Nk, Tp]: each passage's own token ids, -1 after its end.
    passage_tokens: torch.Tensor = field(
        default_factory=lambda: torch.empty(0, 0, 0, dtype=torch.long)
    )

    def to(self, device: torch.device | str) -> Batch:
        return Batch(*(t.to(device) for t in vars(self).values()))


@dataclass
class Output:
    loss: torch.Tensor
    lm_loss: torch.Tensor
    contrastive_loss: torch.Tensor
    selection_loss: torch.Tensor | None = None


class FusionVLM(nn.Module):
    def __init__(self, config: FusionVLMConfig, language_model: Any, vision_dim: int) -> None:
        super().__init__()
        self.config = config
        self.lm = language_model
        hidden = int(language_model.config.hidden_size)
        self.projector: ModalityProjector | WordProjector
        if config.projector == "words":
            self.projector = WordProjector(vision_dim, hidden, config.visual_tokens)
        else:
            self.projector = ModalityProjector(
                vision_dim, hidden, config.visual_tokens, config.projector_hidden
            )
        self.knowledge_proj = nn.Linear(config.knowledge_dim, hidden)
        self.fusion = FUSIONS[config.fusion](hidden)
        # Passages that reach the LM as their own words, one chosen by the picture.
        self.selector = PassageSelector(hidden) if config.passages == "select" else None
        self.image_head = nn.Linear(hidden, hidden, bias=False)
        self.text_head = nn.Linear(hidden, hidden, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(2.659))  # ln(1/0.07), as CLIP starts
        if config.freeze_language_model:
            self.lm.requires_grad_(False)
        if config.freeze_projector:
            self.projector.requires_grad_(False)

    def trainable(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def use_visual_words(self, token_ids: list[int]) -> None:
        """Set the words projector's vocabulary (kept in the config, which is saved)."""
        self.config = self.config.with_(visual_words=tuple(token_ids))

    def words(self) -> torch.Tensor:
        """The word embeddings the words projector mixes: [V, H] (frozen, from the LM)."""
        if not self.config.visual_words:
            raise ValueError("the words projector has no vocabulary: align it on captions first")
        ids = torch.tensor(self.config.visual_words, device=self.logit_scale.device)
        return self.lm.get_input_embeddings().weight.detach()[ids]

    def visual(self, vision: torch.Tensor) -> torch.Tensor:
        """The projected visual tokens [B, Nv, H], before fusion."""
        if isinstance(self.projector, WordProjector):
            return self.projector(vision, self.words())
        return self.projector(vision)

    def prefix(self, batch: Batch, text: torch.Tensor, question_mask: torch.Tensor) -> torch.Tensor:
        """The tokens put before the text: [B, P, H]."""
        question = masked_mean(text, question_mask)
        visual = self.visual(batch.vision)
        knowledge = self.knowledge_proj(batch.knowledge)
        # With a selector the passages reach the LM as words; the fusion sees none of them.
        known = batch.knowledge_mask & (self.selector is None)
        fused = self.fusion(visual, question, knowledge, known)
        if fused.shape[1] == visual.shape[1]:  # cross-attention refined the visual tokens
            return fused
        return torch.cat([visual, fused], dim=1)

    def forward(self, batch: Batch) -> Output:
        embed = self.lm.get_input_embeddings()
        text = embed(batch.input_ids)
        mask = batch.attention_mask.bool()
        question_mask = mask & (batch.labels == IGNORE)
        prefix = self.prefix(batch, text, question_mask)
        selection = self.selection_loss(batch, text, question_mask)
        ones = batch.attention_mask.new_ones(prefix.shape[:2])
        embeds = torch.cat([prefix, text], dim=1)
        attention = torch.cat([ones, batch.attention_mask], dim=1)
        labels = torch.cat([torch.full_like(ones, IGNORE), batch.labels], dim=1)
        # Only positions that predict an answer token go through the vocabulary projection
        # (49k x hidden for SmolLM2: a fifth of a short sequence's compute).
        predicts = (labels[:, 1:] != IGNORE).any(0).nonzero().flatten()
        out = self.lm(inputs_embeds=embeds, attention_mask=attention, logits_to_keep=predicts)
        targets = labels[:, predicts + 1].flatten()
        summed = nn.functional.cross_entropy(
            out.logits.flatten(0, 1).float(), targets, ignore_index=IGNORE, reduction="sum"
        )
        # The global batch's mean once DDP averages the processes' gradients (distributed.py).
        lm_loss = summed * world() / total(targets.ne(IGNORE).sum()).clamp(min=1)
        contrastive = self.contrastive(prefix, text, mask & (batch.labels != IGNORE))
        loss = lm_loss + self.config.contrastive_weight * contrastive
        if selection is not None:
            loss = loss + selection
        return Output(loss, lm_loss.detach(), contrastive.detach(),
                      None if selection is None else selection.detach())  # fmt: skip

    def choice_logits(
        self, batch: Batch, text: torch.Tensor, question_mask: torch.Tensor
    ) -> torch.Tensor:
        """The selector's score of each retrieved passage: [B, Nk]."""
        if self.selector is None:
            raise ValueError("this model reads passages without choosing one")
        if batch.passage_words.numel():  # the question, not the note before it
            question_mask = question_mask & ~batch.passage_words
        question = masked_mean(text, question_mask)
        visual = self.visual(batch.vision)
        knowledge = self.knowledge_proj(batch.knowledge)
        return self.selector(
            visual, question, knowledge, batch.knowledge_mask, self.words_match(batch)
        )

    def words_match(self, batch: Batch) -> torch.Tensor | None:
        """How well each passage's words read in order match the picture's words ([B, Nk]),
        for a words projector: its reading binds each object's size, colour, shape and place,
        which one sentence vector per passage does not."""
        if not isinstance(self.projector, WordProjector) or not batch.passage_tokens.numel():
            return None
        with torch.no_grad():  # the projector is aligned and frozen before passages come in
            said = self.projector.logits(batch.vision, self.words()).float().log_softmax(-1)
        return phrase_match(said, self._in_vocabulary(batch.passage_tokens))

    def _in_vocabulary(self, tokens: torch.Tensor) -> torch.Tensor:
        """LM token ids -> indices in the words projector's vocabulary, -1 for other words."""
        lookup = torch.full((int(tokens.max()) + 2,), -1, dtype=torch.long, device=tokens.device)
        for n, token in enumerate(self.config.visual_words):
            if token < len(lookup):
                lookup[token] = n
        lookup[-1] = -1  # where the -1 padding lands
        return lookup[tokens.clamp(min=-1)]

    def selection_loss(
        self, batch: Batch, text: torch.Tensor, question_mask: torch.Tensor
    ) -> torch.Tensor | None:
        """Cross-entropy of the selector against the passage that is this picture's (over the
        global batch's examples that have one)."""
        if self.selector is None or not batch.chosen.numel():
            return None
        logits = self.choice_logits(batch, text, question_mask)
        target = batch.chosen.masked_fill((batch.chosen < 0) | ~batch.knowledge_mask.any(1), IGNORE)
        summed = nn.functional.cross_entropy(
            logits.float(), target, ignore_index=IGNORE, reduction="sum"
        )
        return summed * world() / total(target.ne(IGNORE).sum()).clamp(min=1)

    @torch.inference_mode()
    def pick(self, batch: Batch) -> list[int]:
        """The passage the selector chooses for each example (-1 where it has none)."""
        text = self.lm.get_input_embeddings()(batch.input_ids)
        logits = self.choice_logits(batch, text, batch.attention_mask.bool())
        best = logits.argmax(-1)
        return best.masked_fill(~batch.knowledge_mask.any(1), -1).tolist()

    def contrastive(
        self, prefix: torch.Tensor, text: torch.Tensor, answer_mask: torch.Tensor
    ) -> torch.Tensor:
        """InfoNCE over the global batch: each image's prefix against its own answer's tokens,
        with every other example of the batch, in every process, as a negative."""
        image = nn.functional.normalize(self.image_head(prefix.mean(1)), dim=-1)
        words = nn.functional.normalize(self.text_head(masked_mean(text, answer_mask)), dim=-1)
        all_images, start = gathered(image)
        all_words, _ = gathered(words)
        if len(all_images) < 2:
            return prefix.new_zeros(())
        scale = self.logit_scale.exp().clamp(max=100)
        target = torch.arange(start, start + len(image), device=image.device)
        summed = nn.functional.cross_entropy(
            scale * image @ all_words.T, target, reduction="sum"
        ) + nn.functional.cross_entropy(scale * words @ all_images.T, target, reduction="sum")
        return summed / 2 * world() / len(all_images)

    def embed_pair(
        self, batch: Batch
    ) -> tuple[torch.Tensor, torch.Tensor]:  # for recall@k evaluation
        """Unit vectors of each example's image (prefix) and answer text in the shared space."""
        text = self.lm.get_input_embeddings()(batch.input_ids)
        mask = batch.attention_mask.bool()
        prefix = self.prefix(batch, text, mask & (batch.labels == IGNORE))
        image = nn.functional.normalize(self.image_head(prefix.mean(1)), dim=-1)
        answer = masked_mean(text, mask & (batch.labels != IGNORE))
        return image, nn.functional.normalize(self.text_head(answer), dim=-1)

    @torch.inference_mode()
    def generate(
        self,
        batch: Batch,
        max_new_tokens: int = 32,
        eos_token_id: int | None = None,
        streamer: Any = None,
    ) -> list[list[int]]:
        """Greedy answers for prompts (``batch.labels`` all IGNORE), the whole batch at once:
        each row's prefix and prompt are left-padded so that every answer starts at the same
        position. ``streamer`` (a transformers streamer) gets the tokens as they come."""
        text = self.lm.get_input_embeddings()(batch.input_ids)
        mask = batch.attention_mask.bool()
        prefix = self.prefix(batch, text, mask)
        rows = [torch.cat([prefix[i], text[i, mask[i]]]) for i in range(len(text))]
        width = max(len(r) for r in rows)
        context = text.new_zeros((len(rows), width, text.shape[-1]))
        attention = torch.zeros((len(rows), width), dtype=torch.long, device=text.device)
        for i, row in enumerate(rows):
            context[i, width - len(row) :] = row
            attention[i, width - len(row) :] = 1
        out = self.lm.generate(
            inputs_embeds=context,
            attention_mask=attention,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos_token_id,
            pad_token_id=eos_token_id,
            streamer=streamer,
        )
        return [_until(tokens, eos_token_id) for tokens in out.tolist()]


def phrase_match(said: torch.Tensor, words: torch.Tensor, reach: int = 2) -> torch.Tensor:
    """[B, Nv, V] log-probabilities of the picture's words at each position, [B, Nk, Tp]
    passage words as vocabulary indices (-1: a word the picture cannot say) -> [B, Nk]: for
    every run of ``2 * reach + 1`` sayable words, the best sum of their log-probabilities at
    consecutive positions of the picture's reading, averaged over the passage's runs (-30 for
    a passage with none)."""
    b, nk, tp = words.shape
    nv = said.shape[1]
    index = words.clamp(min=0).reshape(b, 1, nk * tp).expand(b, nv, nk * tp)
    read = said.gather(2, index).reshape(b, nv, nk, tp).permute(0, 2, 3, 1)  # [B, Nk, Tp, Nv]
    sayable = words >= 0
    width = 2 * reach + 1
    if tp < width or nv < width:
        return said.new_full((b, nk), -30.0)
    runs = read.new_zeros((b, nk, tp - width + 1, nv - width + 1))
    whole = sayable[:, :, : tp - width + 1].clone()
    for k in range(width):  # word t + k of the run at position p + k of the reading
        runs = runs + read[:, :, k : tp - width + 1 + k, k : nv - width + 1 + k]
        whole &= sayable[:, :, k : tp - width + 1 + k]
    best = runs.amax(-1)  # each run at its best place
    counted = whole.sum(-1)
    mean = (best * whole).sum(-1) / counted.clamp(min=1)
    return mean.masked_fill(counted == 0, -30.0)


def _until(tokens: list[int], eos: int | None) -> list[int]:
    """The answer's tokens before its first end-of-sequence (the rest is padding)."""
    return tokens[: tokens.index(eos)] if eos in tokens else tokens
