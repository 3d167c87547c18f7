using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Wmtty.Fhir.Questionnaires;
using Wmtty.Tests.Infrastructure;

namespace Wmtty.Tests.Clinician;

/// <summary>What the clinician summary page shows, and in what order: the interpreter need first, then the sections, in English.</summary>
public sealed class SummaryPageTests : AppTest
{
    private string patientId = "", nhs = "";

    public override async System.Threading.Tasks.Task InitializeAsync()
    {
        await base.InitializeAsync();
        nhs = NhsNumbers.Next();
        patientId = (await Client.CreateAsync(Infrastructure.Fhir.Patient(nhs, family: "Kowalska", given: "Anna", birthDate: "1980-04-02")))["id"]!.GetValue<string>();
    }

    private static Dictionary<string, List<JsonObject>> FullAnswers()
    {
        var answers = Responses.TypicalAnswers();
        answers["communication-support"] = [Responses.Coded(Responses.ServiceSystem, "lip-reading")];
        answers["faith-care-needs"] = [Responses.Coded(Responses.ServiceSystem, "prayer")];
        answers["who-may-be-told"] = [Responses.Coded(Responses.ServiceSystem, "tell-family")];
        answers["reasonable-adjustments"] = [Responses.Coded(Responses.ServiceSystem, "ra-care-environment")];
        answers["appointment-times"] = [Responses.Coded(Responses.ServiceSystem, "mornings")];
        answers["what-worries-me"] = [Responses.Text("Boję się szpitali")];
        answers["what-helps-me"] = [Responses.Text("Spokojna rozmowa")];
        return answers;
    }

    // The answer's display as a Polish portal sends it, to be sure the page does not show it.
    private static string Polish(string linkId, string code) =>
        Translations.In(Flatten(Responses.Definition.Item).Single(i => i.LinkId == linkId).AnswerOption
            .Select(o => o.Value).OfType<Coding>().Single(c => c.Code == code).DisplayElement, "pl")!;

    private static IEnumerable<Questionnaire.ItemComponent> Flatten(IEnumerable<Questionnaire.ItemComponent> items) =>
        items.SelectMany(i => new[] { i }.Concat(Flatten(i.Item)));

    [Fact]
    public async System.Threading.Tasks.Task ThePageLeadsWithTheInterpreterNeedThenThePatientThenTheSectionsInOrderInEnglish()
    {
        await Responses.SubmitAsync(Client, Responses.Build(patientId, FullAnswers(), language: "pl"));

        var html = await Client.PageAsync(Pages.SummaryPath(nhs));
        var text = Pages.Text(html);
        var order = new[]
        {
            "Interpreter needed: Polish", "Preferred language: Polish", "Anna Kowalska", "NHS number " + nhs[..3] + " " + nhs[3..6] + " " + nhs[6..], "Born 2 Apr 1980",
            "Communication needs", "Preferred contact method", "Telephone; SMS", "Large print", "Lip-reading",
            "Beliefs and diet", "Christian", "Time and a place to pray", "Vegetarian",
            "Care preferences", "A female clinician", "Wants a chaperone at intimate examinations", "Yes", "A family member", "My family",
            "Access needs", "Changes to the place of care", "Mornings",
            "What matters most", "Rozmowa z lekarzem po polsku", "Boję się szpitali", "Spokojna rozmowa",
        };
        var at = order.Select(t => (t, text.IndexOf(t, StringComparison.Ordinal))).ToList();
        Assert.All(at, p => Assert.True(p.Item2 >= 0, $"'{p.t}' is missing from the page: {text}"));
        for (var i = 1; i < at.Count; i++)
        {
            Assert.True(at[i - 1].Item2 < at[i].Item2, $"'{at[i - 1].t}' should come before '{at[i].t}'");
        }

        // Answered in Polish, shown in English.
        foreach (var (linkId, code) in new[] { ("diet", "vegetarian"), ("religion", "christian"), ("appointment-times", "mornings") })
        {
            var polish = Polish(linkId, code);
            Assert.False(text.Contains(polish, StringComparison.Ordinal), $"The Polish answer '{polish}' is on the page");
        }

        // The interpreter answers are in the banner, not repeated below it.
        Assert.Single(Regex.Matches(text, "Interpreter needed"));
        Assert.Contains("class=\"interpreter needed\"", html);
    }

    [Theory]
    [InlineData(false, "No interpreter needed")]
    [InlineData(null, "Interpreter need not recorded")]
    public async System.Threading.Tasks.Task TheBannerSaysWhenNoInterpreterIsNeededOrNothingIsRecorded(bool? needed, string banner)
    {
        var answers = new Dictionary<string, List<JsonObject>> { ["preferred-language"] = [Responses.Coded(PreferenceCodes.Bcp47, "en")] };
        if (needed is { } value)
        {
            answers["interpreter-needed"] = [Responses.Boolean(value)];
            await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));
        }

        var text = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.StartsWith(banner, text.TrimStart());
        Assert.DoesNotContain("Interpreter needed:", text);
    }

    [Fact]
    public async System.Threading.Tasks.Task FreeTextIsShownExactlyAsWrittenAndNeverAsMarkup()
    {
        var answers = Responses.TypicalAnswers();
        answers["what-matters-most"] = [Responses.Text("<script>alert(1)</script>\nSecond line & \"quotes\"")];
        answers["what-helps-me"] = [Responses.Text("<img src=x onerror=alert(2)>")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers));

        var html = await Client.PageAsync(Pages.SummaryPath(nhs));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;\nSecond line &amp; &quot;quotes&quot;</span>", html); // the line break kept
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains(".own-words{display:block;white-space:pre-wrap", html);
    }

    [Fact]
    public async System.Threading.Tasks.Task WhatMattersMostIsMarkedWithItsLanguageAndDirection()
    {
        var answers = Responses.TypicalAnswers();
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, language: "pl"));
        var polish = await Client.PageAsync(Pages.SummaryPath(nhs));
        Assert.Contains("<span class=\"own-words\" lang=\"pl\">Rozmowa z lekarzem po polsku</span><span class=\"updated\">Written in Polish</span>", polish);

        answers["what-matters-most"] = [Responses.Text("میں اپنے خاندان کے ساتھ رہنا چاہتا ہوں")];
        await Responses.SubmitAsync(Client, Responses.Build(patientId, answers, language: "ur", authored: "2026-11-21T10:00:00Z"));
        var urdu = await Client.PageAsync(Pages.SummaryPath(nhs));
        Assert.Contains("<span class=\"own-words\" lang=\"ur\" dir=\"rtl\">میں اپنے خاندان کے ساتھ رہنا چاہتا ہوں</span><span class=\"updated\">Written in Urdu</span>", urdu);
    }

    [Fact]
    public async System.Threading.Tasks.Task ThePageSaysWhenTheAnswersWereUpdatedAndByWhom()
    {
        await Responses.SubmitAsync(Client, Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-10T10:00:00Z").AuthoredBy(Pages.PatientAuthor(patientId)));
        var first = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.Contains("All answers updated 10 Nov 2026 by the patient", first);

        var response = Responses.Build(patientId, Responses.TypicalAnswers(), authored: "2026-11-18T09:00:00Z").AuthoredBy(Pages.ConnectorAuthor());
        var stored = await Responses.SubmitAsync(Client, response);
        var second = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.Contains("All answers updated 18 Nov 2026 by a community connector, with the patient", second);
        Assert.DoesNotContain("10 Nov 2026", second);

        // An amendment restates the whole set: the page follows it.
        var id = stored["id"]!.GetValue<string>();
        var answers = Responses.TypicalAnswers();
        answers["diet"] = [Responses.Coded(PreferenceCodes.Diet, "vegan")];
        var amended = Responses.Build(patientId, answers, status: "amended", authored: "2026-11-20T09:00:00Z").AuthoredBy(Pages.PatientAuthor(patientId));
        amended["id"] = id;
        using var put = await Client.PutAsync($"/fhir/QuestionnaireResponse/{id}", Infrastructure.Fhir.Json(amended));
        Assert.Equal(System.Net.HttpStatusCode.OK, put.StatusCode);
        var third = Pages.Text(await Client.PageAsync(Pages.SummaryPath(nhs)));
        Assert.Contains("All answers updated 20 Nov 2026 by the patient", third);
        Assert.Contains("Dietary requirements Vegan", third);
    }

    [Fact]
    public async System.Threading.Tasks.Task ThePageIsOneSmallAccessibleDocumentThatPrintsOnA4()
    {
        await Responses.SubmitAsync(Client, Responses.Build(patientId, FullAnswers()));
        var html = await Client.PageAsync(Pages.SummaryPath(nhs));

        Assert.Single(Regex.Matches(html, "<h1"));
        var levels = Regex.Matches(html, "<h([1-6])").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(1, levels[0]);
        Assert.All(levels.Zip(levels.Skip(1)), pair => Assert.True(pair.Second <= pair.First + 1, "a heading level is skipped"));
        Assert.Single(Regex.Matches(html, "<main>"));
        Assert.Single(Regex.Matches(html, "<header>"));
        Assert.Contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", html);
        Assert.Contains("@page{size:A4;margin:12mm}", html);
        Assert.Contains("@media print{", html);
        Assert.Contains("break-inside:avoid", html);
        Assert.True(html.Length < 16_000, $"The page weighs {html.Length} characters");
    }
}
