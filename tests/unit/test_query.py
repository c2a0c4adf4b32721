"""The topic language: parsing, matching and its forgiveness, on hand-made papers."""

import pytest

from bot.core.matching.explain import explain
from bot.core.matching.index import TopicIndex
from bot.core.matching.judge import doc_of, matches
from bot.core.matching.query import MAX_TERMS, QueryError, parse
from bot.core.matching.text import words
from bot.core.models import Paper

MAMBA = Paper(
    id="2312.00752",
    title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
    abstract=(
        "Foundation models are built on the Transformer. We identify that a key weakness of "
        "such models is their inability to perform content-based reasoning. Large language "
        "models (LLMs) benefit. We study state-space models and reinforcement learning. "
        "Transformers are slow on long sequences."
    ),
    authors=("Albert Gu", "Tri Dao"),
    ai_summary="Mamba, a selective state space model, rivals Transformers and LLMs.",
    ai_keywords=("selective state space models", "Schrödinger bridge", "reinforcement learning"),
)
TRAP = Paper(
    id="2401.00001",
    title="Underpinning organ storage with dragnets",
    abstract="Underpinning the organ of storage, we study dragons.",
    ai_summary="Organ storage, underpinning.",
)


def hit(query: str, paper: Paper = MAMBA) -> bool:
    return matches(parse(query).tree, doc_of(paper))


@pytest.mark.parametrize(
    "query",
    [
        "mamba",
        "MAMBA selective",
        '"state space"',
        "state-space model",
        "State Space Models",
        "LLM",
        "LLMs",
        '"large language model"',
        "RL",
        "SSM",
        "reinforcment learning",
        "Transfromer",
        "mamba OR nonexistentword",
        "(video OR mamba) linear",
        "title:mamba",
        'title:"selective state"',
        "author:gu",
        'author:"tri dao"',
        "keyword:schrodinger",
        "abstract:weakness",
        "mamba -survey",
        "mamba AND linear",
    ],
)
def test_queries_that_match(query: str) -> None:
    assert hit(query), parse(query).understood


@pytest.mark.parametrize(
    "query",
    [
        "video",
        "mamba video",
        "author:mamba",
        "title:reinforcement",
        'mamba -"state space"',
        "mamba -LLM",
        "mamba NOT linear",
        '"space state"',
        "keyword:transformer",
        # Only HF's machine-written keywords say it: the authors never do.
        "schrödinger",
    ],
)
def test_queries_that_do_not_match(query: str) -> None:
    assert not hit(query), parse(query).understood


@pytest.mark.parametrize("query", ["PINN", "GAN", "RAG", "drag", "organs -organ"])
def test_word_boundaries_are_respected(query: str) -> None:
    if query == "organs -organ":
        assert not hit(query, TRAP)  # plural folding works for exclusions too
        return
    assert not hit(query, TRAP), parse(query).understood


def test_short_words_get_no_typo_forgiveness() -> None:
    assert not hit("mmba")  # four letters: no typo forgiveness
    assert hit("selectiv")  # eight letters: one typo forgiven
    assert hit("organ", TRAP)
    assert not hit("orgn", TRAP)


def test_understood_form_shows_expansions_and_compounds() -> None:
    assert parse("LLM").understood == (
        'llm OR "large language model" OR "MLLM" OR "LVLM" OR "LRM" OR "large reasoning model"'
    )
    assert '"multi-modal"' in parse("multimodal").understood


def test_equal_queries_have_equal_canonical_text() -> None:
    assert parse("State-Space  Models").canonical == parse('"state space" model').canonical
    assert parse("Video Diffusion").canonical == parse("video diffusion").canonical


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"state space', "quote is never closed"),
        ("(video diffusion", "parenthesis is never closed"),
        ("video)", "no opening one"),
        ("video OR", "OR needs a term on both sides"),
        ("OR video", "OR needs a term on both sides"),
        ("-survey", "at least one word"),
        ("video OR -survey", "at least one word"),
        ("venue:neurips", "`venue:` is not a field"),
        ("()", "parentheses are empty"),
        ("+++", "no letters or digits"),
        ("title:", "needs a word"),
        ("", "empty"),
    ],
)
def test_malformed_queries_point_at_the_problem(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(query)


@pytest.mark.parametrize(
    "query",
    ["a", "the of", '"of the"', "A OR the", "diffusion OR the", "title:the", "the -survey"],
)
def test_a_topic_of_stop_words_alone_is_refused_in_one_line(query: str) -> None:
    # It would match nearly every paper: every OR branch must name something else too.
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert "stop words" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("query", ["mixture of experts", "the diffusion", "diffusion -the"])
def test_stop_words_beside_other_words_are_fine(query: str) -> None:
    parse(query)


# A paper that writes some of its words in other scripts than the Latin one.
SCRIPTS = Paper(
    id="2501.00010",
    title="Трансформер для перевода: 基于变换器的机器翻译, المحولات, ट्रांसफॉर्मर",
    abstract="We compare трансформер models with 变换器 baselines on Arabic and Hindi text.",
)


@pytest.mark.parametrize(
    "query",
    [
        "трансформер",
        "ТРАНСФОРМЕР",
        "трансформер перевода",
        "变换器",
        "机器翻译",
        "title:变换器",
        "المحولات",
        "ट्रांसफॉर्मर",
        '"для перевода"',
        "变换器 -survey",
    ],
)
def test_words_of_any_script_are_words_that_match(query: str) -> None:
    assert parse(query).terms >= 1
    assert hit(query, SCRIPTS), parse(query).understood


@pytest.mark.parametrize("query", ["трансформатор", "变压器", "器变换", "翻译器"])
def test_words_of_other_scripts_match_only_themselves(query: str) -> None:
    assert not hit(query, SCRIPTS), parse(query).understood


def test_words_of_other_scripts_are_whole_words() -> None:
    # Chinese and Japanese write no spaces: each character is a word, a term of several a
    # phrase. Marks that write a vowel (Devanagari) belong to their word.
    assert words("Трансформер 变换器 ट्रांसफॉर्मर") == ["трансформер", "变", "换", "器", "टरांसफॉरमर"]
    assert words("Schrödinger's state-space models, 3D") == [
        "schrodinger",
        "s",
        "state",
        "space",
        "model",
        "3d",
    ]


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_invisible_character_inside_a_word_is_ignored_in_queries(mark: str) -> None:
    # Zero-width spaces and joiners, word joiners, byte-order marks and soft hyphens come with
    # copied text: unseen, they must not split a word.
    query = f"mam{mark}ba selec{mark}tive"
    assert hit(query), parse(query).understood
    assert parse(query).canonical == parse("mamba selective").canonical
    assert mark not in parse(query).text
    assert hit(f"{mark}mamba")


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_invisible_character_inside_a_word_is_ignored_in_papers(mark: str) -> None:
    paper = Paper(
        id="2501.00011",
        title=f"Spec{mark}ulative De{mark}coding with a Draft Model",
        abstract=f"We speed up spec{mark}ulative decoding. Trans{mark}formers decode faster.",
    )
    assert words(paper.title)[:2] == ["speculative", "decoding"]
    assert hit("speculative decoding", paper)
    assert hit('"speculative decoding"', paper)
    assert "transformer" in words(paper.abstract)
    assert not hit("former", paper)


def test_error_shows_where() -> None:
    with pytest.raises(QueryError) as caught:
        parse('video "diffusion model')
    assert "at character 7" in str(caught.value)
    assert "^" in str(caught.value)


def test_limits_on_length_and_terms() -> None:
    with pytest.raises(QueryError, match="limit is 300"):
        parse("a" * 301)
    with pytest.raises(QueryError, match=f"limit is {MAX_TERMS}"):
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    parse(" ".join(f"w{i}" for i in range(MAX_TERMS)))


def test_explain_names_the_missing_term_and_the_exclusion() -> None:
    doc = doc_of(MAMBA)
    assert explain(parse("mamba video").tree, doc) == [
        "`mamba video`: its words never stand together; no `video` in the paper"
    ]
    assert explain(parse("mamba -transformer").tree, doc) == [
        "excluded by `-transformer` (in the abstract)"
    ]


def test_a_word_mentioned_once_in_passing_is_not_what_a_paper_is_about() -> None:
    # "weakness" occurs once in the abstract: a bare term wants it salient; abstract: does not.
    assert not hit("weakness")
    assert hit("abstract:weakness")


def test_topic_index_finds_exactly_what_a_full_scan_finds() -> None:
    queries = [
        "mamba",
        "reinforcment learning",
        "LLM",
        "video",
        "title:organ",
        '"state space" -survey',
        "organ storage",
        "dragon OR mamba",
        "PINN",
        "author:dao",
        "transfromer",
        "(video OR image) gan",
    ]
    index = TopicIndex((q, parse(q).tree) for q in queries)
    for paper in (MAMBA, TRAP):
        doc = doc_of(paper)
        assert index.match(doc) == [q for q in queries if matches(parse(q).tree, doc)]


def test_a_word_said_once_is_not_salient_even_without_an_ai_summary() -> None:
    # arXiv-only papers carry no AI summary: their abstract alone must say what they are about.
    once = Paper(
        id="2202.12139",
        title="Testing deep models",
        abstract="We test vision systems. We compare them on a classical benchmark.",
    )
    twice = Paper(
        id="2202.12140",
        title="Testing deep models",
        abstract="We build a benchmark of vision systems. The benchmark has 10 tasks.",
    )
    assert not hit("benchmark", once)
    assert hit("abstract:benchmark", once)
    assert hit("benchmark", twice)
    # A phrase is specific: without an AI summary, one mention counts.
    assert hit('"vision systems"', once)


@pytest.mark.parametrize(
    ("text", "query", "expected"),
    [
        ("We fine-tune Qwen3-8B on math problems.", "LLM", True),
        ("We prompt ChatGPT and GPT-4o with exam questions.", "LLM", True),
        ("Llama-3.1 answers in Kazakh.", '"large language model"', True),
        ("We tune LLaVA-1.5 on charts.", "VLM", True),
        ("We tune LLaVA-1.5 on charts.", "LLM", True),
        ("Large reasoning models overthink.", "LLM", True),
        ("The phi coefficient and a palm tree.", "LLM", False),
        ("We prompt ChatGPT.", "VLM", False),
        ("We prompt ChatGPT.", "LLM -qwen", True),
        ("We prompt ChatGPT.", "diffusion -LLM", False),
    ],
)
def test_model_names_imply_what_kind_of_model_a_paper_works_with(
    text: str, query: str, expected: bool
) -> None:
    paper = Paper(id="2501.00001", title="A study", abstract=text)
    assert hit(query, paper) is expected


def test_an_author_named_claude_does_not_make_an_llm_paper() -> None:
    paper = Paper(
        id="2501.00002",
        title="Channel capacity",
        abstract="We bound the capacity of noisy channels.",
        authors=("Claude Shannon",),
    )
    assert not hit("LLM", paper)
    assert hit("author:claude", paper)


def test_topic_index_agrees_with_a_full_scan_without_ai_summaries() -> None:
    # Model names, and phrases said once (which count when HF gave no AI summary).
    papers = [
        Paper(id="2501.00003", title="Fine-tuning Qwen3", abstract="We fine-tune Qwen3."),
        Paper(id="2501.00004", title="Charts", abstract="LLaVA reads charts."),
        Paper(id="2501.00005", title="Palms", abstract="A palm tree in vision systems."),
    ]
    queries = ["LLM", "VLM", '"large language model"', "LLM charts", "palm", '"vision systems"']
    index = TopicIndex((q, parse(q).tree) for q in queries)
    for paper in papers:
        doc = doc_of(paper)
        assert index.match(doc) == [q for q in queries if matches(parse(q).tree, doc)]
