"""Follow-up questions resolved against the conversation: known pairs, topic switches, the history format."""

import pytest

from assistant.answer.followup import FollowUpResolver, Turn, parse_history
from corpus.chunking import Chunk, chunk_document
from corpus.errors import InputError
from corpus.loading import load_notes
from assistant.paths import DEFAULT_NOTES_DIR


@pytest.fixture(scope="module")
def resolver():
    notes = load_notes(DEFAULT_NOTES_DIR)
    return FollowUpResolver([c for d in notes.documents for c in chunk_document(d)])


@pytest.mark.parametrize("history, question, understood, reason", [
    (["エポックとは何ですか？"], "多すぎるとどうなる？", "エポックが多すぎるとどうなる？", "ellipsis"),
    (["SageMaker Inference Recommenderとは？"], "それは何をしてくれる？", "SageMaker Inference Recommenderは何をしてくれる？", "pronoun"),
    (["サーバーレス推論について教えて"], "コールドスタートを減らすには？", "サーバーレス推論のコールドスタートを減らすには？", "aspect"),
    (["MLA-C01の問題数は？"], "時間は？", "MLA-C01の時間は？", "aspect"),
    (["What is MLA-C01?"], "How long is it?", "How long is MLA-C01?", "pronoun"),
    # an English name of several words is carried whole
    (["What is SageMaker Inference Recommender?"], "What does it recommend?",
     "What does SageMaker Inference Recommender recommend?", "pronoun"),
    (["How many questions are on the MLA-C01 exam?"], "How long?", "How long for MLA-C01?", "aspect"),
    # the topic of a resolved follow-up carries on to the next turn
    (["エポックとは何ですか？", "多すぎるとどうなる？"], "その対策は？", "エポックの対策は？", "pronoun"),
    # a question word that opens a turn is not part of the name it carries on ("Is it no-code?")
    (["What is Amazon SageMaker Canvas?", "Is it no-code?"], "What does it let you do?",
     "What does Amazon SageMaker Canvas let you do?", "pronoun"),
    # "its X" becomes "the <topic> X", as a question written out in full says it
    (["What is Parquet?"], "What is its file extension?", "What is the Parquet file extension?", "pronoun"),
    # a last part that heads a section of the notes is kept (a subject), an attribute is replaced (MLA-C01 above)
    (["Redshiftのマテリアライズド・ビューとは？"], "どのコマンドで更新できる？",
     "Redshiftのマテリアライズド・ビューのどのコマンドで更新できる？", "aspect"),
    # "the <name> <noun>": "it" is the whole phrase, the noun included; the name alone decides aspect or new topic
    (["What is the exam code of the Machine Learning Engineer Associate exam?"], "How long is it?",
     "How long is the Machine Learning Engineer Associate exam?", "pronoun"),
    # a sibling: the previous question asked of the other name
    (["What is Top-K in the Bedrock inference parameters?"], "What about Top-P?",
     "What is Top-P in the Bedrock inference parameters?", "sibling"),
    # they/them after a question that counted a plural noun stands for those things, not for the topic alone
    (["How many questions are on the MLA-C01 exam?"], "And how many of them are unscored?",
     "And how many of the MLA-C01 exam questions are unscored?", "pronoun"),
    (["What is the MLA-C01 exam?"], "Who takes them?", "Who takes the MLA-C01 exam?", "pronoun"),  # nothing counted
    # an adjectival noun (可用) opens a noun phrase: joined with の
    (["S3 Express One Zoneについて教えて"], "可用性は？", "S3 Express One Zoneの可用性は？", "ellipsis"),
])
def test_known_follow_ups(resolver, history, question, understood, reason):
    resolution = resolver.resolve(question, [Turn(q) for q in history])
    assert (resolution.question, resolution.reason) == (understood, reason)
    assert resolution.changed


@pytest.mark.parametrize("history, question", [
    (["エポックとは何ですか？", "多すぎるとどうなる？"], "L2正則化とは？"),
    (["エポックとは何ですか？"], "SageMaker Canvasとは何ですか？"),
    (["What is MLA-C01?"], "What is Parquet?"),
    # "what is X" names its own subject, even in lower case
    (["AWS Compute Optimizerはどんなサービスですか？"], "What is federated learning?"),
])
def test_a_new_subject_ignores_the_history(resolver, history, question):
    resolution = resolver.resolve(question, [Turn(q) for q in history])
    assert resolution.question == question and not resolution.changed and resolution.reason == "new topic"


def test_a_question_naming_the_same_subject_stands_alone(resolver):
    resolution = resolver.resolve("エポックの値はどう決める？", [Turn("エポックとは何ですか？")])
    assert resolution.question == "エポックの値はどう決める？" and resolution.reason == "own subject"


def test_no_history_changes_nothing(resolver):
    assert resolver.resolve("多すぎるとどうなる？", []).question == "多すぎるとどうなる？"


def test_parse_history():
    turns = parse_history([{"question": " エポックとは？ ", "answer": "訓練データを使った回数"}, {"question": "多すぎると？"}])
    assert turns == (Turn("エポックとは？", "訓練データを使った回数"), Turn("多すぎると？"))
    assert parse_history(None) == ()


@pytest.mark.parametrize("value, message", [
    ("エポック", "must be a list"),
    ([{"answer": "x"}], "turn 1 needs a non-empty \"question\""),
    ([{"question": "a"}, {"question": ""}], "turn 2 needs"),
    ([{"question": "a", "answer": 3}], "turn 1 has an \"answer\" that is not a string"),
    (["just text"], "turn 1 needs"),
])
def test_malformed_history_is_named(value, message):
    with pytest.raises(InputError, match=message):
        parse_history(value)


def test_the_pipeline_answers_the_understood_question(fake_index):
    from tests.answer.test_pipeline import make_pipeline

    pipeline = make_pipeline(fake_index, abstain_below=0.0)
    alone = pipeline.answer("多すぎるとどうなる？")
    follow = pipeline.answer("多すぎるとどうなる？", history=[Turn("エポックとは何ですか？")])
    assert follow.resolved_question == "エポックが多すぎるとどうなる？" and follow.question == "多すぎるとどうなる？"
    assert follow.hits[0].chunk.heading_path == "エポック"
    record = follow.as_record("f1")
    assert record["question"] == "多すぎるとどうなる？" and record["resolved_question"] == "エポックが多すぎるとどうなる？"
    # without history the question is answered exactly as before, and understood as asked
    assert alone.resolved_question == "多すぎるとどうなる？"
    assert pipeline.answer("多すぎるとどうなる？", history=[]).as_record() | {"timings": None} == alone.as_record() | {"timings": None}


@pytest.mark.parametrize("question, understood", [
    ("これらの違いは？", "エポックの違いは？"),
    ("それぞれの違いは？", "エポックのそれぞれの違いは？"),  # それぞれ is "each", not a pronoun: an aspect instead
])
def test_pronouns_are_words_not_substrings(resolver, question, understood):
    assert resolver.resolve(question, [Turn("エポックとは何ですか？")]).question == understood


def _notes_resolver(*passages: tuple[str, str]) -> FollowUpResolver:
    """A resolver over small made-up notes: (heading path, text) per chunk."""
    return FollowUpResolver([Chunk(f"c{i}", "notes.md", heading, text) for i, (heading, text) in enumerate(passages)])


def test_an_aspect_of_the_topics_last_part_keeps_the_whole_topic():
    # デフォルト is said of the option (the topic's last part), never beside the page's name: an aspect of the option.
    resolver = _notes_resolver(("オプション", "retries:n 再試行の回数。デフォルトは 2 回、上限は 5 回。"),
                               ("説明", "netconf.conf はネットワークの設定ファイルである。"))
    history = [Turn("netconf.conf の retries とは何ですか？"), Turn("デフォルトは何回？")]
    assert resolver.resolve("デフォルトは何回？", history[:1]).question == "netconf.conf の retriesのデフォルトは何回？"
    resolution = resolver.resolve("上限は？", history)
    # an attribute after a compound topic replaces only the topic's last part
    assert (resolution.question, resolution.reason) == ("netconf.conf の retriesの上限は？", "aspect")


def test_a_name_beside_the_previous_name_asks_the_previous_question_of_it():
    # not an aspect of @hourly (「@hourlyの@nightly」): the same question asked of a sibling, the page kept
    resolver = _notes_resolver(("書式", "@hourly は毎時 1 回、@nightly は毎日 1 回実行する。"))
    resolution = resolver.resolve("@nightly は？", [Turn("schedtab の @hourly とは何ですか？")])
    assert resolution.question == "schedtab の @nightly とは何ですか？" and resolution.reason == "sibling"


@pytest.mark.parametrize("history, question, understood", [
    (["signal(7) で SIGINT のデフォルト動作は？"], "SIGQUIT は？", "signal(7) で SIGQUIT のデフォルト動作は？"),
    (["According to hier(7), what does /var/cache contain?"], "And /var/tmp?", "According to hier(7), what does /var/tmp contain?"),
    (["timeout の -s は何を指定しますか？"], "What about -k?", "timeout の -k は何を指定しますか？"),
    # the previous turn as understood: a sibling of a sibling
    (["signal(7) で SIGINT のデフォルト動作は？", "SIGQUIT は？"], "SIGKILL は？", "signal(7) で SIGKILL のデフォルト動作は？"),
])
def test_a_sibling_follow_up(history, question, understood):
    resolver = _notes_resolver(("説明", "SIGINT と SIGQUIT と SIGKILL。/var/cache と /var/tmp。-s と -k。"))
    assert resolver.resolve(question, [Turn(q) for q in history]).question == understood


@pytest.mark.parametrize("history, question, understood", [
    # a noun compound that ends on the same noun is a thing of the same kind
    (["SageMakerのリアルタイム推論は最大何秒まで？"], "非同期推論だと？", "SageMakerの非同期推論は最大何秒まで?"),
    (["リアルタイムシグナルはキューに溜まる？"], "標準シグナルのほうは？", "標準シグナルはキューに溜まる?"),
    (["出題範囲の分野ごとの割合は？", "第2分野は？"], "第3分野は？", "出題範囲の第3分野ごとの割合は?"),
    # a number is a sibling of a number, not of the command before it; a code glued to a particle is found
    (["ls の終了ステータス 2 の意味は？"], "1 だと？", "ls の終了ステータス 1 の意味は？"),
    (["cronのSHELL は何になる？"], "PATH は？", "cronのPATH は何になる？"),
])
def test_a_sibling_named_in_japanese(history, question, understood):
    resolver = _notes_resolver(("説明", "リアルタイム推論と非同期推論。標準シグナルとリアルタイムシグナル。cron の SHELL と PATH。"))
    assert resolver.resolve(question, [Turn(q) for q in history]).question == understood


def test_a_merit_is_an_attribute_of_the_subject():
    resolver = _notes_resolver(("説明", "バッチサイズが大きいほど勾配が安定する。"))
    # メリット is an attribute word, not a new subject; the opening じゃあ goes when the topic is put in front
    assert resolver.resolve("じゃあ大きくするメリットは何？", [Turn("バッチサイズって何？")]).question == "バッチサイズが大きくするメリットは何？"


def test_a_path_or_an_option_is_a_topic_with_its_marks():
    resolver = _notes_resolver(("説明", "ls の --indicator-style はデフォルトで none を使う。"),
                               ("DESCRIPTION", "Fields of /etc/hosts entries are separated by blanks."))
    assert resolver.resolve("How are its fields separated?", [Turn("What is /etc/hosts used for?")]).question \
        == "How are the /etc/hosts fields separated?"
    history = [Turn("ls の表示を変えたい"), Turn("--indicator-style ってオプションもあるよね？")]
    assert "--indicator-style" in resolver.resolve("デフォルトの形式は？", history).question


def test_a_turn_that_points_back_but_names_its_own_subject_makes_that_the_topic():
    resolver = _notes_resolver(("探索戦略", "ランダム探索、ベイズ最適化、Successive Halving がある。"),
                               ("探索戦略", "Successive Halving は有望な構成に試行回数を再配分する。"))
    history = [Turn("探索戦略にはどんな手法がありますか？"), Turn("その中でSuccessive Halvingの特徴は？")]
    resolution = resolver.resolve("何を再配分するの？", history)
    assert resolution.question.startswith("Successive Halving") and "探索戦略" not in resolution.question


def test_a_name_with_a_common_noun_after_it_is_the_subject_by_its_name():
    # 「sleeper コマンド」: the notes write the name alone, so the aspect test looks for 「sleeper」, not the whole phrase
    resolver = _notes_resolver(("説明", "sleeper は指定時間待つ。HUP シグナルを受けると終了ステータス 129 で終わる。"))
    resolution = resolver.resolve("HUP シグナルを受けた場合の終了ステータスは？", [Turn("sleeper コマンドは何をしますか？")])
    assert (resolution.question, resolution.reason) == ("sleeper コマンドのHUP シグナルを受けた場合の終了ステータスは？", "aspect")
