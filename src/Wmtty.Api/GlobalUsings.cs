// Hl7.Fhir.Model declares Task, which collides with System.Threading.Tasks.Task: alias the FHIR types instead.
global using Base = Hl7.Fhir.Model.Base;
global using Bundle = Hl7.Fhir.Model.Bundle;
global using CapabilityStatement = Hl7.Fhir.Model.CapabilityStatement;
global using OperationOutcome = Hl7.Fhir.Model.OperationOutcome;
global using Resource = Hl7.Fhir.Model.Resource;
global using IssueType = Hl7.Fhir.Model.OperationOutcome.IssueType;
global using CodeableConcept = Hl7.Fhir.Model.CodeableConcept;
global using CodeSystem = Hl7.Fhir.Model.CodeSystem;
global using Coding = Hl7.Fhir.Model.Coding;
global using Observation = Hl7.Fhir.Model.Observation;
global using Parameters = Hl7.Fhir.Model.Parameters;
global using Patient = Hl7.Fhir.Model.Patient;
global using Questionnaire = Hl7.Fhir.Model.Questionnaire;
global using QuestionnaireResponse = Hl7.Fhir.Model.QuestionnaireResponse;
global using ResourceReference = Hl7.Fhir.Model.ResourceReference;
global using ValueSet = Hl7.Fhir.Model.ValueSet;
global using PublicationStatus = Hl7.Fhir.Model.PublicationStatus;
